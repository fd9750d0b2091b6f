// `npm run test:dates -- --at <instant> [--tz <zone>] [test files…]`: the suite (or some files)
// with every process's clock moved to another date by libfaketime (`apt-get install faketime`;
// not needed by `npm test` or CI). One fixed offset from the real clock for every process (test
// runner, test files, CLI and server children, PGlite inside them), so their clocks agree and
// keep ticking; monotonic clocks stay real so timers and timeouts behave. PGlite only: a
// PostgreSQL server's now() is its own real clock, which would disagree with the faked one.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { at: { type: 'string' }, tz: { type: 'string' } },
});
const at = values.at ? new Date(values.at) : undefined;
if (!at || Number.isNaN(at.getTime()) || !/(Z|[+-]\d{2}:\d{2})$/.test(values.at ?? '')) {
  console.error('usage: npm run test:dates -- --at 2027-01-31T23:30:00Z [--tz America/New_York] [test files…]');
  process.exit(2);
}
if (spawnSync('faketime', ['-f', '+0', 'true']).status !== 0) {
  console.error('faketime is not installed: apt-get install -y faketime (Debian/Ubuntu), or brew install libfaketime');
  process.exit(2);
}

const offsetSeconds = Math.round((at.getTime() - Date.now()) / 1000);
const env: NodeJS.ProcessEnv = { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
delete env.TEST_DATABASE_URL;
if (values.tz) env.TZ = values.tz;
console.log(
  `clock moved ${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}s to ${at.toISOString()}` +
    `${values.tz ? ` (TZ=${values.tz})` : ''}; PGlite only`,
);
const child = spawn(
  'faketime',
  [
    '-f',
    `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}`,
    process.execPath,
    join('scripts', 'test.ts'),
    ...positionals,
  ],
  { cwd: join(import.meta.dirname, '..'), stdio: 'inherit', env },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
