// The one place the browser tests get their Chromium. A machine's own Chromium when it has one
// (CHROMIUM_PATH, then the usual system paths); otherwise the headless Chromium that the
// @sparticuz/chromium devDependency ships inside its npm package, so `npm install && npm test`
// needs nothing else on a fresh machine.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type LaunchOptions } from 'playwright-core';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** Where a system Chromium usually is (Debian/Ubuntu packages, Google's). */
const SYSTEM_CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
];

export type ChromiumChoice = { source: 'CHROMIUM_PATH' | 'system'; path: string } | { source: 'npm' };

/** Which Chromium to drive: a pure choice from the environment and which files exist. */
export function chooseChromium(
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
  systemPaths: readonly string[] = SYSTEM_CHROMIUM_PATHS,
): ChromiumChoice {
  const configured = env.CHROMIUM_PATH;
  if (configured) {
    // A path someone set on purpose and mistyped must not quietly become another browser.
    if (!exists(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    return { source: 'CHROMIUM_PATH', path: configured };
  }
  const system = systemPaths.find(exists);
  return system ? { source: 'system', path: system } : { source: 'npm' };
}

/**
 * The npm package's Chromium, unpacked once per package version under .cache/. Its
 * `executablePath()` unpacks into os.tmpdir() and returns whatever is there, even half-written;
 * so it runs in a child whose TMPDIR is a fresh staging directory, renamed into place when
 * complete. Two test files racing both unpack, and the second rename just loses.
 */
export async function npmChromiumPath(): Promise<string> {
  const entry = import.meta.resolve('@sparticuz/chromium');
  const { version } = JSON.parse(await readFile(new URL('../package.json', entry), 'utf8')) as { version: string };
  const dir = join(root, '.cache', `chromium-${version}`);
  const executable = join(dir, 'chromium');
  if (existsSync(executable)) return executable;
  const staging = `${dir}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const script = `const { default: c } = await import(${JSON.stringify(entry)}); process.stdout.write(await c.executablePath());`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: staging },
    });
    if (stdout !== join(staging, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${stdout}`);
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(executable)) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return executable;
}

/** The Chromium executable the tests drive, and where it came from. */
async function chromiumExecutable(): Promise<{ source: ChromiumChoice['source']; path: string }> {
  const choice = chooseChromium(process.env, existsSync);
  return choice.source === 'npm' ? { source: 'npm', path: await npmChromiumPath() } : choice;
}

// The same flags for either browser. The npm package's own list is for AWS Lambda: its
// --single-process closes the browser with the first closed context (tests open many), and
// --disable-web-security would hide the same-origin rules the console relies on.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium for a browser test. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const { path } = await chromiumExecutable();
  return chromium.launch({
    ...options,
    executablePath: path,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    env: browserEnv(process.env),
  });
}

/**
 * The browser runs on the machine's real clock: under `npm run test:dates` libfaketime is preloaded
 * into every child, and a faked Chromium lost its contexts mid-test. A client's clock is not the
 * server's anyway; policypay's dates come from the server.
 */
function browserEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const kept = Object.entries(env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined && entry[0] !== 'LD_PRELOAD' && !entry[0].startsWith('FAKETIME'),
  );
  return Object.fromEntries(kept);
}
