// Maps a problem+json `errors[]` list onto form fields.
import { ApiError } from '../api/api.ts';

/** `errors[].path` values such as "amount", "/invoices/0/amount" or "body.amount" → { amount: message }. */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!(error instanceof ApiError)) return result;
  for (const item of error.problem.errors ?? []) {
    const parts = String(item.path)
      .split(/[./]/)
      .filter((part) => part && part !== 'body');
    const field = parts[0];
    if (field && !result[field]) result[field] = item.message;
  }
  return result;
}
