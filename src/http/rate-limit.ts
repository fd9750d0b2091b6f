import { DomainError } from '../domain/errors.ts';

export interface RateLimiter {
  /** Counts one attempt for the key; throws a 429 DomainError once the key is over its limit. */
  hit(key: string, now?: number): void;
}

/**
 * Fixed-window counters in this process's memory: enough to slow down guessing of passwords and
 * link tokens (which are 256-bit anyway) on one server. Several servers would each count alone.
 */
export function rateLimiter(options: { limit: number; windowMs: number; maxKeys?: number }): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const maxKeys = options.maxKeys ?? 10_000;
  return {
    hit(key, now = Date.now()) {
      let window = windows.get(key);
      if (!window || now - window.start >= options.windowMs) {
        if (windows.size >= maxKeys) {
          for (const [k, w] of windows) if (now - w.start >= options.windowMs) windows.delete(k);
          // Still full of live windows: forget the oldest rather than grow without bound.
          if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        }
        window = { start: now, count: 0 };
        windows.set(key, window);
      }
      window.count += 1;
      if (window.count > options.limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil((window.start + options.windowMs - now) / 1000));
        throw new DomainError('rate_limited', `too many attempts; try again in ${retryAfterSeconds} s`, {
          extensions: { retryAfterSeconds },
        });
      }
    },
  };
}
