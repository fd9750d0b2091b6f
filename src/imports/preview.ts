import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { planRows } from './book-matching.ts';
import { type CsvSource, fingerprint, readCsv } from './csv-rows.ts';
import { type ImportView, importView, MAX_STORED_PROBLEMS } from './import-records.ts';
import { type BookRow, naturalKey, parseBookRow } from './rules/book-rows.ts';
import {
  emptyCounts,
  headerProblems,
  type ImportKind,
  type ImportStatus,
  type RowProblem,
} from './rules/import-kinds.ts';

export interface PreviewInput {
  kind: ImportKind;
  fileName?: string | undefined;
  source: CsvSource;
  /** The file's text, kept on the import when the commit will not have the file (an upload). */
  content?: string | undefined;
}

/**
 * Reads the whole file once, in chunks, and records what a commit would do: per row, create,
 * unchanged (its natural key is in the book already) or skipped, and every problem (row, column,
 * rule). Nothing but the import's own row is written. The same file again (same SHA-256) is the
 * same import: previewed again, it keeps its id and its commit's progress; once committed, it is
 * answered from its fingerprint alone (`previewCommitted`).
 */
export async function previewImport(
  db: Db | Tx,
  actor: Actor,
  input: PreviewInput,
  options: { chunkSize?: number } = {},
): Promise<ImportView> {
  const again = await previewCommitted(db, actor, input.kind, await fingerprint(input.source));
  if (again) return again;
  const pass = readCsv(input.source, options.chunkSize ?? 1000);
  const counts = emptyCounts();
  const problems: RowProblem[] = [];
  let problemCount = 0;
  const report = (found: readonly RowProblem[]) => {
    problemCount += found.length;
    for (const p of found) if (problems.length < MAX_STORED_PROBLEMS) problems.push(p);
  };
  const seen = new Map<string, number>();
  let sawHeader = false;
  for await (const chunk of pass.chunks) {
    if (!sawHeader) {
      sawHeader = true;
      report(headerProblems(input.kind, chunk.header));
    }
    counts.rows += chunk.ragged.length;
    report(chunk.ragged);
    const parsed: BookRow[] = [];
    for (const { row, record } of chunk.rows) {
      counts.rows += 1;
      const result = parseBookRow(input.kind, row, record);
      if (!result.ok) {
        report(result.problems);
        continue;
      }
      const key = naturalKey(result.value);
      const first = seen.get(key);
      if (first !== undefined) {
        report([{ row, column: keyColumn(input.kind), rule: `repeats row ${first}` }]);
        continue;
      }
      seen.set(key, row);
      parsed.push(result.value);
    }
    for (const plan of await planRows(db, actor.agencyId, parsed)) {
      if (plan.outcome === 'problem') report(plan.problems);
      else counts[plan.outcome === 'create' ? 'create' : plan.outcome] += 1;
    }
  }
  const { sha256, malformed } = pass.result();
  if (malformed) report([malformed]);
  if (!sawHeader) report([{ row: 1, column: '*', rule: 'the file is empty: it needs a header row' }]);
  // In file order: the checks of a chunk's references run after its rows are read.
  problems.sort((a, b) => a.row - b.row);
  return inTransaction(db, (tx) =>
    recordPreview(tx, actor, input, { sha256, counts, problems, problemCount, rows: counts.rows }),
  );
}

/**
 * A file committed before, given again: every row of it is in the book (policypay deletes no
 * customer, contact, policy or invoice), so nothing is matched again. What it created now counts
 * as unchanged, as a full preview would find it; a contact renamed since is not made again under
 * its old name. A file that differs by one byte is a new file and is matched row by row.
 */
async function previewCommitted(db: Db | Tx, actor: Actor, kind: ImportKind, sha256: string) {
  const found = await db
    .selectFrom('imports')
    .select(['id', 'counts'])
    .where('agency_id', '=', actor.agencyId)
    .where('kind', '=', kind)
    .where('sha256', '=', sha256)
    .where('status', '=', 'committed')
    .executeTakeFirst();
  if (!found) return undefined;
  const before = found.counts as unknown as ReturnType<typeof emptyCounts>;
  const counts = { ...before, create: 0, unchanged: before.unchanged + before.create };
  return inTransaction(db, async (tx) => {
    const row = await tx
      .updateTable('imports')
      .set({ counts: JSON.stringify(counts), updated_at: new Date() })
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', found.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(
      tx,
      actor,
      'import.previewed',
      { type: 'import', id: row.id },
      { kind, rows: counts.rows, again: true },
    );
    return importView(row);
  });
}

function keyColumn(kind: ImportKind): string {
  return { customers: 'externalId', contacts: 'name', policies: 'policyNumber', invoices: 'invoiceNumber' }[kind];
}

async function recordPreview(
  tx: Tx,
  actor: Actor,
  input: PreviewInput,
  found: {
    sha256: string;
    counts: ReturnType<typeof emptyCounts>;
    problems: RowProblem[];
    problemCount: number;
    rows: number;
  },
): Promise<ImportView> {
  const rejected = found.problemCount > 0;
  const values = {
    file_name: input.fileName ?? null,
    content: input.content ?? null,
    rows_total: found.rows,
    counts: JSON.stringify(found.counts),
    problems: JSON.stringify(found.problems),
    problem_count: found.problemCount,
  };
  const row = await tx
    .insertInto('imports')
    .values({
      agency_id: actor.agencyId,
      kind: input.kind,
      sha256: found.sha256,
      status: rejected ? 'rejected' : 'previewed',
      ...values,
    })
    .onConflict((oc) =>
      oc.columns(['agency_id', 'kind', 'sha256']).doUpdateSet((eb) => ({
        ...values,
        content: input.content ?? eb.ref('imports.content'),
        file_name: input.fileName ?? eb.ref('imports.file_name'),
        // A commit under way or done stays so: its rows are in the book, the file is the same.
        status: rejected
          ? sql<ImportStatus>`CASE WHEN imports.status = 'committed' THEN 'committed' ELSE 'rejected' END`
          : sql<ImportStatus>`CASE WHEN imports.status = 'rejected' THEN 'previewed' ELSE imports.status END`,
        updated_at: new Date(),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(
    tx,
    actor,
    'import.previewed',
    { type: 'import', id: row.id },
    {
      kind: input.kind,
      rows: found.rows,
      problems: found.problemCount,
    },
  );
  return importView(row);
}
