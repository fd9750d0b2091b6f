// Typed calls for the import page (/app/import): upload a CSV for a preview, commit it, follow it.
import { request } from './api.ts';

export const importKinds = ['customers', 'contacts', 'policies', 'invoices'] as const;
export type ImportKind = (typeof importKinds)[number];

type ImportProblem = { row: number; column: string; rule: string };

export type BookImport = {
  id: string;
  kind: ImportKind;
  fileName: string | null;
  sha256: string;
  status: 'rejected' | 'previewed' | 'committing' | 'committed';
  counts: { rows: number; create: number; unchanged: number; skipped: number };
  rowsTotal: number;
  rowsDone: number;
  problems: ImportProblem[];
  problemCount: number;
  createdAt: string;
  committedAt: string | null;
};

const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});

export function previewImport(
  body: { kind: ImportKind; fileName: string; csv: string },
  idempotencyKey: string,
): Promise<BookImport> {
  return request('POST', '/api/v1/imports', { body, idempotencyKey });
}

/** Answers when every batch has committed; asked again after a failure, it carries on. */
export function commitImport(id: string, idempotencyKey: string): Promise<BookImport> {
  return request('POST', `/api/v1/imports/${encodeURIComponent(id)}/commit`, { idempotencyKey });
}

export function getImport(id: string, signal?: AbortSignal): Promise<BookImport> {
  return request('GET', `/api/v1/imports/${encodeURIComponent(id)}`, withSignal(signal));
}

export function listImports(signal?: AbortSignal): Promise<{ imports: BookImport[] }> {
  return request('GET', '/api/v1/imports?limit=20', withSignal(signal));
}
