// A private PostgreSQL cluster a test can stop, restart and kill: `initdb` into a temporary
// folder, owned by and run as the `postgres` OS user when the tests run as root (PostgreSQL
// refuses to run as root), on a free loopback port with its unix socket in the same folder.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  dir: string;
  /** Stops the server (`fast` ends sessions and checkpoints; `immediate` is a crash). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** `pg_ctl restart`: stop and start in one step. */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server if it runs and removes the folder. */
  destroy(): Promise<void>;
}

/** The folder of initdb/pg_ctl: Debian's /usr/lib/postgresql/<version>/bin (15 first), or none. */
function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => (a === '15' ? -1 : b === '15' ? 1 : Number(b) - Number(a)));
  return versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
}

/** Why a private cluster cannot be made here, or undefined when it can. */
export function privateClusterUnavailable(): string | undefined {
  if (!findPostgresBin()) return 'no initdb/pg_ctl under /usr/lib/postgresql/*/bin';
  if (userInfo().uid === 0) {
    // Root runs the cluster as the postgres user, who must exist.
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', 'true']);
    } catch {
      return 'running as root, and `runuser -u postgres` does not work (no postgres user?)';
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('initdb not found');
  const asRoot = userInfo().uid === 0;
  // As root, every PostgreSQL program runs as the postgres user.
  const pgRun = (program: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]) : run(join(bin, program), args);

  const dir = await mkdtemp(join(tmpdir(), 'policypay-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c max_connections=100',
  ].join(' ');
  const ctl = (args: string[]) => pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', ...args]);
  let running = false;
  try {
    await pgRun('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    await ctl(['-o', serverOptions, 'start']);
    running = true;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async stop(mode) {
      await ctl(['-m', mode, 'stop']);
      running = false;
    },
    async start() {
      await ctl(['-o', serverOptions, 'start']);
      running = true;
    },
    async restart(mode) {
      await ctl(['-m', mode, '-o', serverOptions, 'restart']);
      running = true;
    },
    async destroy() {
      if (running) await ctl(['-m', 'immediate', 'stop']).catch(() => {});
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
