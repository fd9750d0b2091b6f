#!/usr/bin/env node
// policypay's source is TypeScript that Node 24 runs directly (type stripping). When a shell's
// older node starts this file (e.g. `npx policypay` outside an npm script), re-run it with the
// Node 24 that the project's `node` devDependency installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

const capsImportHeap =
  process.argv[2] === 'import' &&
  ![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) =>
    flag.startsWith('--max-old-space-size'),
  );

if (major >= 24 && capsImportHeap) {
  // The import again, with its heap capped (src/imports/import-heap.ts says why).
  const { IMPORT_HEAP_MB } = await import('../src/imports/import-heap.ts');
  const result = spawnSync(
    process.execPath,
    [`--max-old-space-size=${IMPORT_HEAP_MB}`, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(result.status ?? 1);
} else if (major >= 24) {
  // Node keeps the compiled (and type-stripped) modules on disk and reuses them at the next start:
  // about a third of the ~1 s policypay's imports take. NODE_COMPILE_CACHE chooses the directory;
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off. Where it cannot write, Node simply compiles again.
  enableCompileCache();
  await import('../src/platform/cli/main.ts');
} else {
  const pinned = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    console.error(`policypay needs Node.js 24 (this is ${process.version}); run \`npm install\` first.`);
    process.exit(1);
  }
  const result = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
