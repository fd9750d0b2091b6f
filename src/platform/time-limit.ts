/** Thrown when an operation gave no answer within its time limit. */
export class TimeLimitExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} gave no answer within ${ms} ms`);
    this.name = 'TimeLimitExceeded';
  }
}

/**
 * `promise`, or a TimeLimitExceeded after `ms`. The operation itself goes on (a query cannot be
 * taken back): callers that run it again should reuse the one still running.
 */
export function withTimeLimit<T>(promise: Promise<T>, ms: number, what = 'the operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeLimitExceeded(what, ms)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
