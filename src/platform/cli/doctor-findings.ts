// What `policypay doctor` concludes from what it found: pure rules over DeploymentFacts, each
// finding in words an operator acts on. The I/O that gathers the facts is in facts.ts.
import type { MigrationStatus } from '../db/migrate.ts';

export type Level = 'ok' | 'warning' | 'problem';

export interface Finding {
  level: Level;
  topic: string;
  message: string;
}

export interface DeploymentFacts {
  /** The configuration's own complaint, when it does not parse (nothing else is checked then). */
  configError?: string;
  database?: {
    kind: 'pglite' | 'postgres';
    description: string;
    /** Why it could not be opened (unreachable, refused, no such database). */
    error?: string;
    /** An embedded database a running server holds (only one process may open it). */
    inUse?: string;
    /** An embedded data directory with no database yet. */
    absent?: boolean;
    serverVersionNum?: number;
    serverVersion?: string;
    maxConnections?: number;
    reservedConnections?: number;
    /** Connections open now from anything other than this doctor. */
    connectionsInUse?: number;
  };
  migrations?: MigrationStatus;
  secrets?: { error?: string; plaintext: number; underOlderKey: number; keyFile?: string };
  /** What this deployment will run, from `--api-processes` / `--worker-processes`. */
  processes: { api: number; workers: number; apiRunsWorkers: boolean };
  pools: { database: number; jobs: number };
  publicUrl?: string;
  smtp?: { host: string; error?: string };
  processor: { name: 'sandbox' | 'stripe'; webhookSecret: boolean };
}

/** The PostgreSQL major versions policypay is tested on (CI runs 15) and supports. */
const OLDEST_POSTGRES = 140000;

/**
 * Connections one process opens at most: its database pool and its job queue's pool. An API
 * process without workers only sends jobs, on at most two connections (workers.ts).
 */
export function connectionsPerProcess(pools: DeploymentFacts['pools'], runsWorkers: boolean): number {
  return pools.database + (runsWorkers ? pools.jobs : Math.min(2, pools.jobs));
}

export function judgeDeployment(facts: DeploymentFacts): Finding[] {
  if (facts.configError) return [{ level: 'problem', topic: 'configuration', message: facts.configError }];
  const findings: Finding[] = [{ level: 'ok', topic: 'configuration', message: 'every variable is valid' }];
  const database = facts.database;
  if (!database) return findings;
  if (database.error) {
    findings.push({ level: 'problem', topic: 'database', message: `${database.description}: ${database.error}` });
    return findings;
  }
  if (database.inUse || database.absent) {
    findings.push({
      level: 'warning',
      topic: 'database',
      message: database.inUse
        ? `${database.inUse} The database itself was not checked.`
        : `${database.description}: no database there yet; the first \`policypay serve\` creates it`,
    });
    findings.push(...judgeSurroundings(facts));
    return findings;
  }
  findings.push(...judgeDatabase(facts, database));
  if (facts.migrations) findings.push(judgeMigrations(facts.migrations));
  if (facts.secrets) findings.push(...judgeSecrets(facts.secrets));
  findings.push(...judgeSurroundings(facts));
  return findings;
}

function judgeDatabase(facts: DeploymentFacts, database: NonNullable<DeploymentFacts['database']>): Finding[] {
  if (database.kind === 'pglite') {
    const many = facts.processes.api + facts.processes.workers > 1;
    return [
      {
        level: many ? 'problem' : 'ok',
        topic: 'database',
        message: many
          ? `${database.description} opens in one process only; ${facts.processes.api} API and ${facts.processes.workers} worker processes need PostgreSQL (DATABASE_URL=postgres://…)`
          : `${database.description} (one process; use PostgreSQL for production)`,
      },
    ];
  }
  const findings: Finding[] = [];
  const version = database.serverVersionNum ?? 0;
  findings.push({
    level: version >= OLDEST_POSTGRES ? 'ok' : 'problem',
    topic: 'database',
    message:
      version >= OLDEST_POSTGRES
        ? `${database.description}: PostgreSQL ${database.serverVersion}`
        : `${database.description}: PostgreSQL ${database.serverVersion} is older than 14, which policypay needs`,
  });
  if (database.maxConnections !== undefined) {
    const { api, workers, apiRunsWorkers } = facts.processes;
    const need =
      api * connectionsPerProcess(facts.pools, apiRunsWorkers) + workers * connectionsPerProcess(facts.pools, true);
    const available = database.maxConnections - (database.reservedConnections ?? 0);
    const others = database.connectionsInUse ?? 0;
    const plan = `${api} API process${api === 1 ? '' : 'es'}${apiRunsWorkers ? ' (with workers)' : ''} and ${workers} worker process${workers === 1 ? '' : 'es'} open up to ${need} connections (DATABASE_POOL_SIZE ${facts.pools.database} + JOBS_POOL_SIZE ${facts.pools.jobs} each)`;
    const room = `the server allows ${available} (max_connections ${database.maxConnections} less ${database.reservedConnections ?? 0} reserved), ${others} in use now`;
    findings.push(
      need > available
        ? {
            level: 'problem',
            topic: 'connections',
            message: `${plan}, but ${room}: lower the pool sizes, raise max_connections, or put PgBouncer in front (docs/deploy.md)`,
          }
        : need + others > available * 0.8
          ? { level: 'warning', topic: 'connections', message: `${plan}; ${room}: little headroom left` }
          : { level: 'ok', topic: 'connections', message: `${plan}; ${room}` },
    );
  }
  return findings;
}

function judgeMigrations(status: MigrationStatus): Finding {
  if (status.unknown.length > 0) {
    return {
      level: 'problem',
      topic: 'migrations',
      message: `the database has migrations this version does not know (${status.unknown.join(', ')}): it was upgraded by a newer policypay; run that version`,
    };
  }
  if (status.pending.length > 0) {
    return {
      level: 'warning',
      topic: 'migrations',
      message: `${status.pending.length} to apply at the next start (${names(status.pending)}); ${status.applied.length} applied`,
    };
  }
  return { level: 'ok', topic: 'migrations', message: `all ${status.applied.length} applied` };
}

const names = (list: string[]) => (list.length > 3 ? `${list[0]} … ${list[list.length - 1]}` : list.join(', '));

function judgeSecrets(secrets: NonNullable<DeploymentFacts['secrets']>): Finding[] {
  if (secrets.error) return [{ level: 'problem', topic: 'secrets', message: secrets.error }];
  const findings: Finding[] = [];
  if (secrets.keyFile) {
    findings.push({
      level: 'warning',
      topic: 'secrets',
      message: `stored secrets are encrypted with the generated key ${secrets.keyFile}, beside the data it protects: set POLICYPAY_SECRET_KEY in production`,
    });
  }
  if (secrets.underOlderKey > 0) {
    findings.push({
      level: 'warning',
      topic: 'secrets',
      message: `${secrets.underOlderKey} stored secret(s) are under an older key: run \`policypay secrets rotate\`, then drop that key`,
    });
  }
  if (secrets.plaintext > 0) {
    findings.push({
      level: 'warning',
      topic: 'secrets',
      message: `${secrets.plaintext} stored secret(s) are in clear; the next start encrypts them`,
    });
  }
  if (findings.length === 0) findings.push({ level: 'ok', topic: 'secrets', message: 'every stored secret decrypts' });
  return findings;
}

function judgeSurroundings(facts: DeploymentFacts): Finding[] {
  const findings: Finding[] = [];
  const production = facts.database?.kind === 'postgres';
  if (!facts.publicUrl) {
    findings.push({
      level: production ? 'warning' : 'ok',
      topic: 'public URL',
      message: production
        ? 'POLICYPAY_PUBLIC_URL is not set: links in e-mails follow the Host header of each request; set the https address clients use'
        : 'POLICYPAY_PUBLIC_URL not set (links use the address requests come to)',
    });
  } else if (
    !facts.publicUrl.startsWith('https:') &&
    !/^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(facts.publicUrl)
  ) {
    findings.push({
      level: 'warning',
      topic: 'public URL',
      message: `${facts.publicUrl} is not https: cookies are not marked Secure and HSTS is off; serve it behind a TLS proxy (docs/deploy.md)`,
    });
  } else {
    findings.push({ level: 'ok', topic: 'public URL', message: facts.publicUrl });
  }
  if (!facts.smtp) {
    findings.push({
      level: production ? 'warning' : 'ok',
      topic: 'e-mail',
      message: 'SMTP_URL is not set: e-mails wait in the outbox (console → Email) and are not sent',
    });
  } else if (facts.smtp.error) {
    findings.push({
      level: 'problem',
      topic: 'e-mail',
      message: `the SMTP server ${facts.smtp.host} does not answer: ${facts.smtp.error}`,
    });
  } else {
    findings.push({ level: 'ok', topic: 'e-mail', message: `SMTP server ${facts.smtp.host} answers` });
  }
  if (facts.processor.name === 'sandbox') {
    findings.push({
      level: production ? 'warning' : 'ok',
      topic: 'processor',
      message: 'the sandbox processor: TEST MODE, nothing is charged (set STRIPE_SECRET_KEY for live payments)',
    });
  } else if (!facts.processor.webhookSecret) {
    findings.push({
      level: 'problem',
      topic: 'processor',
      message: 'Stripe without STRIPE_WEBHOOK_SECRET: refunds, disputes and ACH returns would never arrive',
    });
  } else {
    findings.push({ level: 'ok', topic: 'processor', message: 'Stripe, with a webhook secret' });
  }
  return findings;
}
