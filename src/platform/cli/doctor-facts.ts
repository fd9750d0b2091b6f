// What `policypay doctor` looks at: the configuration, the database (without migrating or writing
// anything), the stored secrets under the configured keys, the SMTP server. Each failure becomes
// a fact for doctor-findings.ts to put in words; nothing here throws for a broken deployment.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { sweepStoredSecrets } from '../../agency/secrets/stored-secrets.ts';
import { chooseProcessor } from '../../payments/processor-registry.ts';
import { type Config, loadConfig } from '../config.ts';
import { type DatabaseHandle, isPostgresUrl, openDatabase, pgliteDataDir } from '../db/database.ts';
import { EmbeddedDatabaseInUse } from '../db/embedded-lock.ts';
import { isNewDataDir } from '../db/embedded-template.ts';
import { migrationStatus } from '../db/migrate.ts';
import { defaultLogger } from '../log/logger.ts';
import { describeDatabase } from './database.ts';
import type { DeploymentFacts } from './doctor-findings.ts';
import { EMBEDDED_KEY_FILE, resolveKeyring } from './secrets.ts';

export interface DoctorOptions {
  apiProcesses: number;
  workerProcesses: number;
  /** Whether the API processes also run workers (`serve` without `--no-workers`). */
  apiRunsWorkers: boolean;
  /** How long to wait for the database and the SMTP server. */
  timeoutMs: number;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function gatherFacts(
  options: DoctorOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DeploymentFacts> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    return { configError: message(error), ...placeholders(options) };
  }
  const facts: DeploymentFacts = {
    processes: { api: options.apiProcesses, workers: options.workerProcesses, apiRunsWorkers: options.apiRunsWorkers },
    pools: { database: config.DATABASE_POOL_SIZE, jobs: config.JOBS_POOL_SIZE },
    ...(config.POLICYPAY_PUBLIC_URL ? { publicUrl: config.POLICYPAY_PUBLIC_URL } : {}),
    processor: processorFacts(config),
  };
  if (config.SMTP_URL) facts.smtp = await smtpFacts(config.SMTP_URL, options.timeoutMs);

  const kind = isPostgresUrl(config.DATABASE_URL) ? 'postgres' : 'pglite';
  const description = describeDatabase(config.DATABASE_URL);
  const dataDir = kind === 'pglite' ? pgliteDataDir(config.DATABASE_URL) : undefined;
  if (kind === 'pglite' && isNewDataDir(dataDir)) {
    // Opening it would create it; the doctor changes nothing.
    facts.database = { kind, description, absent: true };
    return facts;
  }
  let database: DatabaseHandle;
  try {
    database = await openDatabase({
      url: config.DATABASE_URL,
      poolSize: 1,
      connectTimeoutMs: options.timeoutMs,
      applicationName: 'policypay doctor',
      onConnectionError: () => {},
    });
    await sql`select 1`.execute(database.db);
  } catch (error) {
    facts.database =
      error instanceof EmbeddedDatabaseInUse
        ? { kind, description, inUse: error.message }
        : { kind, description, error: explainConnectionError(error) };
    return facts;
  }
  try {
    facts.database = { kind, description, ...(kind === 'postgres' ? await serverFacts(database) : {}) };
    facts.migrations = await migrationStatus(database.db);
    if (facts.migrations.pending.length === 0 && facts.migrations.unknown.length === 0) {
      facts.secrets = await secretFacts(config, database, dataDir);
    }
  } finally {
    await database.close();
  }
  return facts;
}

function placeholders(options: DoctorOptions): Omit<DeploymentFacts, 'configError'> {
  return {
    processes: { api: options.apiProcesses, workers: options.workerProcesses, apiRunsWorkers: options.apiRunsWorkers },
    pools: { database: 0, jobs: 0 },
    processor: { name: 'sandbox', webhookSecret: false },
  };
}

function processorFacts(config: Config): DeploymentFacts['processor'] {
  try {
    const name = chooseProcessor({ processor: config.POLICYPAY_PROCESSOR, stripeSecretKey: config.STRIPE_SECRET_KEY });
    return { name, webhookSecret: Boolean(config.STRIPE_WEBHOOK_SECRET) };
  } catch {
    return { name: 'stripe', webhookSecret: Boolean(config.STRIPE_WEBHOOK_SECRET) };
  }
}

function explainConnectionError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED')
    return 'nothing listens there (connection refused): is the server running, and is the host and port right?';
  if (code === 'ENOTFOUND') return 'the host name does not resolve';
  if (code === '28P01' || code === '28000') return `the server refused the credentials (${message(error)})`;
  if (code === '3D000') return `the database does not exist (${message(error)})`;
  return message(error);
}

async function serverFacts(database: DatabaseHandle) {
  const { rows } = await sql<{
    version_num: string;
    version: string;
    max_connections: string;
    reserved: string;
    in_use: string;
  }>`select current_setting('server_version_num') as version_num,
            current_setting('server_version') as version,
            current_setting('max_connections') as max_connections,
            current_setting('superuser_reserved_connections') as reserved,
            (select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()) as in_use`.execute(
    database.db,
  );
  const row = rows[0]!;
  return {
    serverVersionNum: Number(row.version_num),
    serverVersion: row.version,
    maxConnections: Number(row.max_connections),
    reservedConnections: Number(row.reserved),
    connectionsInUse: Number(row.in_use),
  };
}

async function secretFacts(
  config: Config,
  database: DatabaseHandle,
  dataDir: string | undefined,
): Promise<DeploymentFacts['secrets']> {
  try {
    const fromEnv = Boolean(config.POLICYPAY_SECRET_KEY || config.POLICYPAY_SECRET_KEYS);
    const keyFile = !fromEnv && dataDir ? join(dataDir, EMBEDDED_KEY_FILE) : undefined;
    // Without its key file an embedded database has stored no secret yet (resolveKeyring would write one).
    if (keyFile && !existsSync(keyFile)) return { plaintext: 0, underOlderKey: 0 };
    const keys = resolveKeyring(config, defaultLogger());
    const sweep = await sweepStoredSecrets(database.db, { rotate: true, dryRun: true, keys });
    return { plaintext: sweep.encrypted, underOlderKey: sweep.rotated, ...(keyFile ? { keyFile } : {}) };
  } catch (error) {
    return { error: message(error), plaintext: 0, underOlderKey: 0 };
  }
}

async function smtpFacts(smtpUrl: string, timeoutMs: number): Promise<NonNullable<DeploymentFacts['smtp']>> {
  const host = new URL(smtpUrl).host;
  // Nodemailer reads transport options from the URL's query, as SMTP_URL itself may.
  const url = new URL(smtpUrl);
  for (const option of ['connectionTimeout', 'greetingTimeout', 'socketTimeout']) {
    url.searchParams.set(option, String(timeoutMs));
  }
  const transport = nodemailer.createTransport(url.toString());
  try {
    await transport.verify();
    return { host };
  } catch (error) {
    return { host, error: message(error) };
  } finally {
    transport.close();
  }
}
