// `npm run build`, and npm's `prepare` step after `npm install` / `npm ci`: makes what a first
// `npm start` would otherwise make while the user waits — the web UI (src/web/build.ts) and the
// migrated embedded database template (src/platform/db/embedded-template.ts). Both are
// content-addressed caches, so running this again is quick and a stale one is simply rebuilt.
//
// `--prepare` (the npm lifecycle step) reports a failure and exits 0: `npm install` then still
// succeeds, and `npm start` builds what is missing itself.
import { ensureEmbeddedTemplate } from '../src/platform/db/embedded-template.ts';
import { ensureWebAssets } from '../src/web/build.ts';

const lenient = process.argv.includes('--prepare');
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

async function step(name: string, work: () => Promise<{ built: boolean; where: string }>): Promise<boolean> {
  const started = performance.now();
  try {
    const { built, where } = await work();
    process.stdout.write(
      `policypay build: ${name} ${built ? `built in ${seconds(started)} s` : 'up to date'}: ${where}\n`,
    );
    return true;
  } catch (error) {
    process.stderr.write(
      `policypay build: ${name} failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return false;
  }
}

const ok = [
  await step('web UI', async () => {
    const { dir, built } = await ensureWebAssets();
    return { built, where: dir };
  }),
  await step('embedded database template', async () => {
    const { dir, built } = await ensureEmbeddedTemplate();
    return { built, where: dir };
  }),
].every(Boolean);

if (!ok && lenient) process.stderr.write('policypay build: `npm start` will build what is missing\n');
process.exitCode = ok || lenient ? 0 : 1;
