// One import of the bench's three files (customers, policies, invoices) in a Node process of its
// own, through preview and commit as `policypay import` runs them, so that its peak memory is the
// import's and not the bench's (the HTTP app, PGlite, earlier scenarios). Used by the import
// scenario on PostgreSQL. Argument: a JSON object; prints one JSON line with the figures.

import { createReadStream } from 'node:fs';
import { commitImport } from '../../src/imports/commit.ts';
import { previewImport } from '../../src/imports/preview.ts';
import type { ImportKind } from '../../src/imports/rules/import-kinds.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { openDatabase } from '../../src/platform/db/database.ts';

const input = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  schema: string;
  agencyId: string;
  label: string;
  files: [ImportKind, string][];
};
const seconds = (ms: number) => Math.round(ms / 100) / 10;
const handle = await openDatabase({ url: input.url, searchPath: input.schema, poolSize: 2 });
try {
  const actor = systemActor(input.agencyId, 'bench');
  const started = performance.now();
  const created: Record<string, number> = {};
  // Where the time goes: each file's preview and commit, and the RSS after it.
  const phases: Record<string, number> = {};
  for (const [kind, path] of input.files) {
    const source = () => createReadStream(path);
    const previewStarted = performance.now();
    const preview = await previewImport(handle.db, actor, { kind, source });
    if (preview.problemCount > 0) throw new Error(`${kind}: ${JSON.stringify(preview.problems.slice(0, 3))}`);
    created[kind] = preview.counts.create;
    const commitStarted = performance.now();
    phases[`${kind}.preview`] = seconds(commitStarted - previewStarted);
    await commitImport(handle.db, actor, preview.id, {
      source,
      afterBatch: ({ rowsDone, rowsTotal }) => {
        if (rowsDone % 20_000 < 1000) process.stderr.write(`import ${input.label} ${kind}: ${rowsDone}/${rowsTotal}\n`);
      },
    });
    phases[`${kind}.commit`] = seconds(performance.now() - commitStarted);
    phases[`${kind}.rssMb`] = Math.round(process.memoryUsage.rss() / 2 ** 20);
    phases[`${kind}.heapMb`] = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  }
  const cpu = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({
      seconds: seconds(performance.now() - started),
      created,
      phases,
      nodeCpuSeconds: seconds((cpu.user + cpu.system) / 1000),
      // maxRSS: the process's peak resident set, in KiB (getrusage).
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
} finally {
  await handle.close();
}
