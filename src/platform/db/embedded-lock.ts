import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite keeps a data directory that only one process may open. A lock file holding the owner's
 * pid turns a second opener's obscure corruption into a clear message.
 */
export class EmbeddedDatabaseInUse extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `the embedded database in ${dataDir} is in use by another policypay process (pid ${pid}). ` +
        "Stop it first, use the running server's API instead, or set DATABASE_URL=postgres://… to share a PostgreSQL server.",
    );
    this.name = 'EmbeddedDatabaseInUse';
  }
}

export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'policypay.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) throw new EmbeddedDatabaseInUse(dataDir, pid);
      rmSync(file, { force: true }); // left by a process that died
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
