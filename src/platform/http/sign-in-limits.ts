import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../kernel/errors.ts';
import type { App } from './types.ts';

interface LimitRule {
  /** Attempts allowed per client address within one window. */
  max: number;
  /** Attempts allowed per account (e-mail) within one window; default `max`. */
  maxPerAccount?: number;
  windowMs: number;
}

/** Guessable doors: staff and portal sign-in, link redemption, link e-mails. */
export interface SignInLimits {
  staffSignIn: LimitRule;
  portalSignIn: LimitRule;
  portalRedeem: LimitRule;
  portalLink: LimitRule;
}

/** Per client address, and per e-mail where the route takes one (an office shares one address). */
const defaultSignInLimits: SignInLimits = {
  staffSignIn: { max: 30, maxPerAccount: 10, windowMs: 60_000 },
  portalSignIn: { max: 10, windowMs: 60_000 },
  portalRedeem: { max: 10, windowMs: 60_000 },
  portalLink: { max: 5, windowMs: 60_000 },
};

export type SignInLimiter = (
  rule: keyof SignInLimits,
  /** A second key besides the client address, e.g. the e-mail being tried. */
  perAccount?: (request: FastifyRequest) => string,
) => (request: FastifyRequest) => Promise<void>;

/**
 * @fastify/rate-limit with its in-memory store: counters live in this process, so several
 * servers would each count alone (enough against guessing; tokens are 256-bit anyway). Each
 * returned hook counts the client address and, if given, the account key, and refuses with a
 * 429 problem (`Retry-After`) once either is over its rule.
 */
export async function registerSignInLimits(app: App, limits: Partial<SignInLimits> = {}): Promise<SignInLimiter> {
  await app.register(fastifyRateLimit, { global: false });
  return (name, perAccount) => {
    const rule = { ...defaultSignInLimits, ...limits }[name];
    const checks = [
      app.createRateLimit({
        max: rule.max,
        timeWindow: rule.windowMs,
        keyGenerator: (request) => `${name}:ip:${normalizeIP(request.ip)}`,
      }),
      ...(perAccount
        ? [
            app.createRateLimit({
              max: rule.maxPerAccount ?? rule.max,
              timeWindow: rule.windowMs,
              keyGenerator: (request) => `${name}:account:${perAccount(request)}`,
            }),
          ]
        : []),
    ];
    return async (request) => {
      for (const check of checks) {
        const limit = await check(request);
        if (!limit.isAllowed && limit.isExceeded) {
          const retryAfterSeconds = Math.max(1, limit.ttlInSeconds);
          throw new DomainError('rate_limited', `too many attempts; try again in ${retryAfterSeconds} s`, {
            extensions: { retryAfterSeconds },
          });
        }
      }
    };
  };
}
