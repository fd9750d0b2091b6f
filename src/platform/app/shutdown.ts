/**
 * Graceful shutdown for `serve` and `worker`: on SIGTERM or SIGINT, stop accepting and drain the
 * requests in flight, let running jobs finish, then close the processors and the database — in
 * that order, all within SHUTDOWN_TIMEOUT_SECONDS. Past the deadline the process says what it was
 * still waiting for and exits non-zero, before the orchestrator's SIGKILL cuts the log short.
 *
 * Our own few lines rather than close-with-grace: that one exits at once on a second signal, and a
 * Ctrl-C under `npm start` delivers two (the terminal's to the process group, and npm's forwarded
 * copy); it also takes over uncaught errors, which this change leaves as they were.
 */

import type { App } from '../http/types.ts';

/**
 * Lets a closing app finish: Fastify's close stops accepting and closes the idle keep-alive
 * connections, but a connection whose request is still in flight would go idle afterwards and stay
 * open until its keep-alive timeout, holding the close up. Answers sent while closing therefore say
 * `Connection: close`, and each finished one closes the connections that went idle since.
 */
export function closeConnectionsWhileClosing(app: App): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async () => {
    if (closing) app.server.closeIdleConnections();
  });
}

export interface ShutdownStep {
  name: string;
  /** Stops one part; `remainingMs` is the time left before the deadline (pg-boss waits that long for its jobs). */
  run(remainingMs: number): Promise<unknown>;
}

export interface ShutdownLog {
  info(message: string): void;
  error(message: string): void;
}

/** `done`: every step finished; `failed`: one threw (the later ones still ran); `timed-out`: the deadline came first. */
export type ShutdownOutcome = 'done' | 'failed' | 'timed-out';

export async function shutDown(
  steps: readonly ShutdownStep[],
  options: { timeoutMs: number; log: ShutdownLog },
): Promise<ShutdownOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  let current = steps[0]?.name ?? 'nothing';
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), options.timeoutMs);
  });
  const run = async (): Promise<ShutdownOutcome> => {
    let outcome: ShutdownOutcome = 'done';
    for (const step of steps) {
      current = step.name;
      try {
        await step.run(Math.max(0, deadline - Date.now()));
      } catch (error) {
        outcome = 'failed';
        options.log.error(`shutdown: stopping the ${step.name} failed: ${(error as Error).message}`);
      }
    }
    return outcome;
  };
  const outcome = await Promise.race([run(), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timed-out') {
    options.log.error(
      `shutdown did not finish within ${options.timeoutMs / 1000} s (still stopping the ${current}): exiting`,
    );
  }
  return outcome;
}

/**
 * Runs `steps` on the first SIGTERM or SIGINT, then exits: 0 when all finished in time, 1 otherwise.
 * Later signals are noted and otherwise ignored; the deadline still holds. Returns what removes
 * the listeners (tests).
 */
export function exitGracefullyOnSignals(
  steps: readonly ShutdownStep[],
  options: {
    timeoutSeconds: number;
    log: ShutdownLog;
    exit?: (code: number) => void;
    signals?: readonly NodeJS.Signals[];
  },
): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.log.info(`${signal}: already stopping`);
      return;
    }
    stopping = true;
    options.log.info(`${signal}: stopping (at most ${options.timeoutSeconds} s)`);
    void shutDown(steps, { timeoutMs: options.timeoutSeconds * 1000, log: options.log }).then((outcome) =>
      exit(outcome === 'done' ? 0 : 1),
    );
  };
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
