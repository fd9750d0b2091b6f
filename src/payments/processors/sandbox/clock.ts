export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The sandbox's business time: a base clock plus the time tests advanced it by. Settlement dates
 * and event times use it; webhook signatures use the base clock, so advancing the sandbox three
 * days does not make its signatures look stale to a receiver on real time.
 */
export class SandboxClock implements Clock {
  readonly base: Clock;
  offsetMs: number;

  constructor(base: Clock, offsetMs = 0) {
    this.base = base;
    this.offsetMs = offsetMs;
  }

  now(): Date {
    return new Date(this.base.now().getTime() + this.offsetMs);
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the sandbox clock only moves forward');
    this.offsetMs += ms;
    return this.now();
  }
}

export const DAY_MS = 86_400_000;
