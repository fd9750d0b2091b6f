import type { Actor } from '../kernel/actor.ts';
import { notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import type { Import } from '../platform/db/schema.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import type { ImportCounts, ImportKind, ImportStatus, RowProblem } from './rules/import-kinds.ts';

export interface ImportView {
  id: string;
  kind: ImportKind;
  fileName: string | null;
  sha256: string;
  status: ImportStatus;
  /** What the commit creates, leaves unchanged (already in the book) or skips, per the last preview. */
  counts: ImportCounts;
  rowsTotal: number;
  /** Data rows the commit has finished (its progress; a re-run carries on after them). */
  rowsDone: number;
  problems: RowProblem[];
  /** Every problem found; `problems` keeps the first MAX_STORED_PROBLEMS. */
  problemCount: number;
  createdAt: Date;
  committedAt: Date | null;
}

/** A file of 100,000 bad rows stays a readable answer: the rest are counted, not listed. */
export const MAX_STORED_PROBLEMS = 10_000;

export function importView(row: Import): ImportView {
  return {
    id: row.id,
    kind: row.kind,
    fileName: row.file_name,
    sha256: row.sha256,
    status: row.status,
    counts: row.counts as unknown as ImportCounts,
    rowsTotal: row.rows_total,
    rowsDone: row.rows_done,
    problems: row.problems,
    problemCount: row.problem_count,
    createdAt: row.created_at,
    committedAt: row.committed_at,
  };
}

/** The agency's import; another agency's is simply not found. */
export async function findImport(db: Db | Tx, agencyId: string, id: string, lock = false): Promise<Import> {
  if (!isUuid(id)) throw notFound('import', id);
  let query = db.selectFrom('imports').selectAll().where('agency_id', '=', agencyId).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('import', id);
  return row;
}

export async function getImport(db: Db, actor: Actor, id: string): Promise<ImportView> {
  return importView(await findImport(db, actor.agencyId, id));
}

/** The agency's latest imports, newest first (without their problem lists: open one for those). */
export async function listImports(db: Db, actor: Actor, limit: number): Promise<ImportView[]> {
  const rows = await db
    .selectFrom('imports')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...importView(row), problems: [] }));
}
