// An open-loop load driver: operations arrive on a fixed schedule (every 1/rate seconds) whatever
// the earlier ones are doing, as independent users' requests do. A closed loop of N clients slows
// its own arrivals when the server slows and so hides queueing; here a slow answer makes the next
// arrivals wait, and that wait counts. Each latency runs from the operation's scheduled arrival,
// not from when it was sent, so a late timer or a full set of connections is not forgiven.
import { Histogram, type LoadResult } from './load.ts';

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  /** Operations in flight at most; arrivals beyond it wait their turn (and their wait counts). */
  maxInFlight: number;
  /** Stop early once this many operations have failed (something is broken, not slow). */
  maxErrors?: number;
}

export interface OpenLoopResult extends LoadResult {
  /** The arrival rate asked for. */
  offeredPerSecond: number;
  /** The most operations in flight at once. */
  peakInFlight: number;
}

/** Runs `operation(sequence)` at `ratePerSecond` for `durationMs`, then waits for the last to end. */
export function runOpenLoop(
  options: OpenLoopOptions,
  operation: (sequence: number) => Promise<void>,
): Promise<OpenLoopResult> {
  const histogram = new Histogram();
  const maxErrors = options.maxErrors ?? 100;
  const intervalMs = 1000 / options.ratePerSecond;
  const total = Math.max(1, Math.floor((options.durationMs / 1000) * options.ratePerSecond));
  const waiting: { scheduled: number; sequence: number }[] = [];
  let scheduledSoFar = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let finished = 0;
  let operations = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();

  return new Promise((resolve) => {
    const done = () => {
      const elapsedMs = performance.now() - started;
      resolve({
        operations,
        errors,
        elapsedMs,
        opsPerSecond: operations / (elapsedMs / 1000),
        histogram,
        offeredPerSecond: options.ratePerSecond,
        peakInFlight,
        ...(firstError === undefined ? {} : { firstError }),
      });
    };
    const start = (arrival: { scheduled: number; sequence: number }) => {
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      operation(arrival.sequence)
        .then(
          () => {
            histogram.record((performance.now() - arrival.scheduled) * 1000);
            operations += 1;
          },
          (error: unknown) => {
            errors += 1;
            firstError ??= error instanceof Error ? error.message : String(error);
          },
        )
        .finally(() => {
          inFlight -= 1;
          finished += 1;
          const next = waiting.shift();
          if (next) start(next);
          if (finished === scheduledSoFar && (scheduledSoFar === total || errors >= maxErrors)) done();
        });
    };
    const tick = () => {
      const now = performance.now();
      while (scheduledSoFar < total && errors < maxErrors && started + scheduledSoFar * intervalMs <= now) {
        const arrival = { scheduled: started + scheduledSoFar * intervalMs, sequence: scheduledSoFar };
        scheduledSoFar += 1;
        if (inFlight < options.maxInFlight) start(arrival);
        else waiting.push(arrival);
      }
      if (scheduledSoFar < total && errors < maxErrors) {
        setTimeout(tick, Math.max(0, started + scheduledSoFar * intervalMs - performance.now()));
      } else if (finished === scheduledSoFar) {
        done();
      }
    };
    tick();
  });
}
