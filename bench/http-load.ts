import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram, type LoadResult } from './load.ts';
import type { HttpLoadJob, HttpLoadReply } from './processes/http-worker.ts';

type Reply = { id: number; ok: true; reply: HttpLoadReply } | { id: number; ok: false; error: string };

/** A run's figures; an open-loop run's also say the rate asked for and the most in flight. */
export type HttpLoadResult = LoadResult & { offeredPerSecond?: number; peakInFlight?: number };

interface Pending {
  resolve: (result: HttpLoadResult) => void;
  reject: (error: Error) => void;
  watchdog: NodeJS.Timeout;
}

let child: ChildProcess | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(error: Error): void {
  for (const [id, job] of pending) {
    clearTimeout(job.watchdog);
    job.reject(error);
    pending.delete(id);
  }
  child = undefined;
}

/**
 * The load generator's process, started on first use and kept for every run: the clients' CPU and
 * memory stay out of the figures of the process being measured (the server and the baselines).
 */
function loadProcess(): ChildProcess {
  if (child) return child;
  const started = fork(fileURLToPath(new URL('./processes/http-worker.ts', import.meta.url)), [], {
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  started.on('message', (message: Reply) => {
    const job = pending.get(message.id);
    if (!job) return;
    pending.delete(message.id);
    clearTimeout(job.watchdog);
    if (!message.ok) return job.reject(new Error(message.error));
    const { histogram, ...rest } = message.reply;
    job.resolve({ ...rest, histogram: Histogram.fromJSON(histogram) });
  });
  started.on('error', (error) => failAll(error));
  started.on('exit', (code, signal) => failAll(new Error(`the HTTP load process exited (${signal ?? code})`)));
  child = started;
  return started;
}

/** Runs one HTTP load run in the load process and brings its figures back. */
export function runHttpLoad(job: HttpLoadJob): Promise<HttpLoadResult> {
  const target = loadProcess();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    // The load process bounds each run by duration; this only catches one that hangs.
    const watchdog = setTimeout(() => {
      pending.delete(id);
      reject(new Error('the HTTP load process did not finish in time'));
    }, job.durationMs + 120_000);
    pending.set(id, { resolve, reject, watchdog });
    target.send({ id, job });
  });
}

/** Ends the load process. */
export function stopHttpLoad(): void {
  const current = child;
  child = undefined;
  if (current?.connected) current.disconnect();
}
