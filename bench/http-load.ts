import { Worker } from 'node:worker_threads';
import type { HttpLoadJob, HttpLoadReply } from './http-worker.ts';
import { Histogram, type LoadResult } from './load.ts';

/** Runs one HTTP load run in a fresh worker thread and brings its figures back. */
export function runHttpLoad(job: HttpLoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./http-worker.ts', import.meta.url), { workerData: job });
    let settled = false;
    // The worker bounds itself by duration; this only catches a worker that hangs.
    const watchdog = setTimeout(() => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(new Error('the HTTP load worker did not finish in time'));
    }, job.durationMs + 120_000);
    worker.once('message', (message: { ok: true; reply: HttpLoadReply } | { ok: false; error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      void worker.terminate();
      if (!message.ok) return reject(new Error(message.error));
      const { histogram, ...rest } = message.reply;
      resolve({ ...rest, histogram: Histogram.fromJSON(histogram) });
    });
    worker.once('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      reject(error);
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      reject(new Error(`the HTTP load worker exited with code ${code}`));
    });
  });
}
