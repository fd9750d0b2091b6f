// One autopay pass in a process of its own, so that its peak memory is the pass's and not the
// bench's (which holds the HTTP app, the sandbox and earlier scenarios' heaps). Used by the autopay
// scenario on PostgreSQL. Arguments: a JSON object; prints one JSON line with the figures.

import { runAutopayPass } from '../../src/autopay/autopay.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { tenthsRecorder } from '../pass-progress.ts';

const input = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  schema: string;
  agencyId: string;
  now: string;
  concurrency: number;
  invoices: number;
};
const handle = await openDatabase({ url: input.url, searchPath: input.schema, poolSize: input.concurrency + 2 });
try {
  const tenths = tenthsRecorder(input.invoices);
  const started = performance.now();
  const rssAtStart = process.memoryUsage.rss();
  const result = await runAutopayPass(handle.db, systemActor(input.agencyId, 'autopay'), {
    now: new Date(input.now),
    concurrency: input.concurrency,
    trigger: 'manual',
    onProgress: tenths.onProgress,
  });
  const elapsedMs = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({
      elapsedMs,
      paymentsCreated: result.paymentsCreated,
      fired: result.fired,
      skipped: Object.values(result.skipped).reduce((a, b) => a + b, 0),
      slices: tenths.slices,
      rssAtStartMb: Math.round(rssAtStart / 2 ** 20),
      // maxRSS: the process's peak resident set, in KiB (getrusage).
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
} finally {
  await handle.close();
}
