import { agencyToday } from '../agency/agencies.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { analyzeTables } from '../platform/db/statistics.ts';
import { type Db, inTransaction } from '../platform/db/transaction.ts';
import { planRows } from './book-matching.ts';
import { writeBatch } from './book-writers.ts';
import { type CsvSource, readCsv, textSource } from './csv-rows.ts';
import { findImport, type ImportView, importView } from './import-records.ts';
import { type BookRow, parseBookRow } from './rules/book-rows.ts';
import type { ImportKind } from './rules/import-kinds.ts';

/** The tables a kind's batches grow, whose lookups the next batches (and the next files) plan. */
const grownTables: Record<ImportKind, readonly string[]> = {
  customers: ['customers', 'imported_customers'],
  contacts: ['contacts'],
  policies: ['policies'],
  invoices: ['invoices', 'journal_entries', 'journal_lines'],
};
/** Statistics are gathered once a commit has written this many rows, and again each time it doubles. */
const FIRST_ANALYZE_ROWS = 4000;

export interface CommitOptions {
  /** The file again (the CLI reads it from disk); an upload's import keeps its own text. */
  source?: CsvSource | undefined;
  batchSize?: number | undefined;
  now?: Date | undefined;
  /** Told after each batch commits: the CLI's progress bar, and tests that stop a commit midway. */
  afterBatch?: ((progress: { batch: number; rowsDone: number; rowsTotal: number }) => void | Promise<void>) | undefined;
}

/**
 * Writes a previewed import into the book, `batchSize` rows per transaction. Each batch records
 * how far it got on the import row in its own transaction, and every row is matched on its natural
 * key before the batch is written (set-based: a few multi-row statements per table, book-writers.ts), so a commit that dies midway is simply run again: it carries on after
 * the last batch that committed and creates nothing twice. An import with problems writes nothing.
 */
export async function commitImport(db: Db, actor: Actor, id: string, options: CommitOptions = {}): Promise<ImportView> {
  const now = options.now ?? new Date();
  const start = await findImport(db, actor.agencyId, id);
  if (start.status === 'committed') return importView(start);
  if (start.status === 'rejected') {
    throw new DomainError('unprocessable', `import ${id} has ${start.problem_count} problem(s): nothing was written`, {
      errors: start.problems.slice(0, 100).map((p) => ({ path: `row ${p.row}/${p.column}`, message: p.rule })),
    });
  }
  const content = start.content;
  const source = options.source ?? (content !== null ? textSource(content) : undefined);
  if (!source) {
    throw new DomainError('conflict', `import ${id} kept no copy of its file: commit it with the file again`);
  }
  const pass = readCsv(source, options.batchSize ?? 2000);
  let batch = 0;
  let analyzeAt = FIRST_ANALYZE_ROWS;
  for await (const chunk of pass.chunks) {
    if (chunk.ragged.length > 0) throw new DomainError('conflict', `import ${id} changed during its commit`);
    const last = chunk.rows.at(-1)?.row;
    if (last === undefined) continue;
    batch += 1;
    const rowsDone = await inTransaction(db, async (tx) => {
      // Locked: two commits of one import at once take batches in turn, the second skipping what the first did.
      const current = await findImport(tx, actor.agencyId, id, true);
      if (current.sha256 !== start.sha256) throw new DomainError('conflict', `import ${id} changed during its commit`);
      const todo = chunk.rows.filter((r) => r.row - 1 > current.rows_done);
      if (todo.length === 0) return current.rows_done;
      const rows: BookRow[] = todo.map(({ row, record }) => {
        const parsed = parseBookRow(current.kind, row, record);
        if (!parsed.ok) throw new DomainError('conflict', `row ${row} no longer reads as it did in the preview`);
        return parsed.value;
      });
      const today = await agencyToday(tx, actor.agencyId, now);
      const plans = await planRows(tx, actor.agencyId, rows);
      for (const plan of plans) {
        if (plan.outcome === 'problem') {
          const [first] = plan.problems;
          throw new DomainError(
            'conflict',
            `the book changed since the preview: row ${first?.row}, column ${first?.column}: ${first?.rule}`,
          );
        }
      }
      await writeBatch(tx, actor, plans, today, now);
      await tx
        .updateTable('imports')
        .set({ status: 'committing', rows_done: last - 1, updated_at: now })
        .where('agency_id', '=', actor.agencyId)
        .where('id', '=', id)
        .execute();
      return last - 1;
    });
    // A large import grows its tables many times over: planned for their old size, each batch's
    // lookups (and the ledger trigger's) would scan them, and the commit would slow as it went.
    if (rowsDone >= analyzeAt) {
      await analyzeTables(db, grownTables[start.kind]);
      analyzeAt = rowsDone * 2;
    }
    await options.afterBatch?.({ batch, rowsDone, rowsTotal: start.rows_total });
  }
  if (start.rows_total >= FIRST_ANALYZE_ROWS) await analyzeTables(db, grownTables[start.kind]);
  if (pass.result().sha256 !== start.sha256) {
    throw new DomainError('conflict', `the file given to commit import ${id} is not the file it previewed`);
  }
  return inTransaction(db, async (tx) => {
    const row = await tx
      .updateTable('imports')
      .set({ status: 'committed', committed_at: now, updated_at: now, content: null })
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'import.committed', { type: 'import', id }, { kind: row.kind, rows: row.rows_total });
    return importView(row);
  });
}
