import { DomainError, type FieldError } from '../../kernel/errors.ts';

/** More than this many offending strings in one request are not all listed. */
const MAX_ERRORS = 20;

/**
 * Finds the strings PostgreSQL cannot store, anywhere in a received value (JSON body, query,
 * path parameters, headers, cookies): text and jsonb refuse NUL (`\u0000`), and a lone UTF-16
 * surrogate has no UTF-8 form, so the driver would silently store U+FFFD instead. Object keys
 * count too, since a strict schema echoes an unknown key in its error. Paths are joined with `/`
 * under `prefix` (`''` for a body: `invoiceInformations/0/invoicePaymentDescription`).
 */
export function unstorableText(value: unknown, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  // Iterative: a deeply nested JSON body must not overflow the stack.
  const stack: { value: unknown; path: string }[] = [{ value, path: prefix }];
  while (stack.length > 0 && errors.length < MAX_ERRORS) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      const message = textProblem(current);
      if (message) errors.push({ path: path || '(body)', message });
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: join(path, String(i)) });
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current).reverse()) {
        const keyProblem = textProblem(key);
        if (keyProblem) errors.push({ path: join(path, printable(key)), message: `its name ${keyProblem}` });
        else stack.push({ value: child, path: join(path, key) });
      }
    }
  }
  return errors;
}

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (!text.isWellFormed()) return 'must be valid Unicode text (it holds a lone surrogate)';
  return undefined;
}

/** A name fit to echo in a problem document (which is itself stored as jsonb). */
function printable(key: string): string {
  return key.replaceAll('\u0000', '\\u0000').toWellFormed();
}

function join(path: string, key: string): string {
  return path ? `${path}/${key}` : key;
}

/** A request with any such string is refused whole: 400, naming each field. */
export function refuseUnstorableText(errors: FieldError[]): void {
  if (errors.length === 0) return;
  throw new DomainError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}
