import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  configureKeyring,
  Keyring,
  keyringFromEnv,
  parseKey,
  SecretKeyError,
} from '../../agency/secrets/secret-box.ts';
import { type SecretSweep, sweepStoredSecrets } from '../../agency/secrets/stored-secrets.ts';
import { type Config, ConfigError } from '../config.ts';
import { type DatabaseHandle, isPostgresUrl, pgliteDataDir } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';

/** Where an embedded database keeps its generated key when the environment gives none. */
export const EMBEDDED_KEY_FILE = 'policypay-secret.key';

/**
 * The keyring this process encrypts stored secrets with. The environment's keys when set
 * (required on PostgreSQL); else, for embedded PGlite only, a key generated once and kept in the
 * data directory (0600) so `npm start` needs no setup — with a warning, since the key then sits
 * beside the data it protects. An in-memory database gets a key that lives as long as it does.
 */
export function resolveKeyring(config: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Keyring {
  let fromEnv: Keyring | undefined;
  try {
    fromEnv = keyringFromEnv(env);
  } catch (error) {
    if (error instanceof SecretKeyError) throw new ConfigError(`invalid configuration: ${error.message}`);
    throw error;
  }
  if (fromEnv) return fromEnv;
  if (isPostgresUrl(config.DATABASE_URL)) {
    throw new ConfigError(
      'POLICYPAY_SECRET_KEY (or POLICYPAY_SECRET_KEYS) is required with PostgreSQL: connector credentials and webhook secrets are stored encrypted under it. `policypay secrets generate-key` makes one.',
    );
  }
  const dataDir = pgliteDataDir(config.DATABASE_URL);
  if (!dataDir) return new Keyring([{ id: 'local', key: randomBytes(32) }]);
  const file = join(dataDir, EMBEDDED_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn(
      `no POLICYPAY_SECRET_KEY: generated ${file} to encrypt stored secrets (fine for a demo; set the variable in production)`,
    );
  }
  return new Keyring([{ id: 'local', key: parseKey(readFileSync(file, 'utf8'), file) }]);
}

/**
 * Start-up of every command that opens the database, once it is migrated: configures the keyring,
 * encrypts any secret still stored in clear (rows from before encryption at rest) and checks that
 * the rest decrypt.
 */
export async function setupSecrets(keys: Keyring, database: DatabaseHandle): Promise<SecretSweep> {
  configureKeyring(keys);
  try {
    return await sweepStoredSecrets(database.db, { rotate: false, keys });
  } catch (error) {
    if (error instanceof SecretKeyError) throw new ConfigError(`stored secrets: ${error.message}`);
    throw error;
  }
}

/** `policypay secrets rotate`: re-encrypts every stored secret under the first key of POLICYPAY_SECRET_KEYS. */
export async function rotateSecrets(database: DatabaseHandle): Promise<SecretSweep> {
  return sweepStoredSecrets(database.db, { rotate: true });
}
