import { type Kysely, sql } from 'kysely';
import { DEFAULT_MIGRATION_TABLE, type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import * as foundation from './migrations/0001_foundation.ts';
import * as receipts from './migrations/0002_receipts.ts';
import * as payments from './migrations/0003_payments.ts';
import * as autopay from './migrations/0004_autopay.ts';
import * as requestsEmail from './migrations/0005_requests_email.ts';
import * as sync from './migrations/0006_sync.ts';
import * as amsReceipts from './migrations/0007_ams_receipts.ts';
import * as ledgerChecks from './migrations/0008_ledger_checks.ts';
import * as customerIndexes from './migrations/0009_customer_indexes.ts';
import * as receiptChecks from './migrations/0010_receipt_checks.ts';
import * as emailSweep from './migrations/0011_email_sweep.ts';
import * as autopayExactlyOnce from './migrations/0012_autopay_exactly_once.ts';
import * as idempotencyOwners from './migrations/0013_idempotency_owners.ts';
import * as portalIdentities from './migrations/0014_portal_identities.ts';
import * as syncFidelity from './migrations/0015_sync_fidelity.ts';
import type { Database } from './schema.ts';

// Migrations are listed here, not discovered on disk, so the set is fixed at build time and the
// same on every driver.
const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_receipts': receipts,
  '0003_payments': payments,
  '0004_autopay': autopay,
  '0005_requests_email': requestsEmail,
  '0006_sync': sync,
  '0007_ams_receipts': amsReceipts,
  '0008_ledger_checks': ledgerChecks,
  '0009_customer_indexes': customerIndexes,
  '0010_receipt_checks': receiptChecks,
  '0011_email_sweep': emailSweep,
  '0012_autopay_exactly_once': autopayExactlyOnce,
  '0013_idempotency_owners': idempotencyOwners,
  '0014_portal_identities': portalIdentities,
  '0015_sync_fidelity': syncFidelity,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export interface MigrationReport {
  applied: string[];
}

/**
 * Applies pending migrations. `schema` names where Kysely keeps its own bookkeeping tables when
 * the database has several policypay schemas (tests run one per file); by default they go to
 * the first schema on the search path.
 */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** Applies migrations up to and including `name` (tests of a data migration start before it). */
export async function migrateTo(db: Kysely<Database>, name: string, schema?: string): Promise<void> {
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error } = await migrator.migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

export interface MigrationStatus {
  /** Listed here but not applied to the database. */
  pending: string[];
  /** Applied to the database but unknown to this build (a newer release migrated it). */
  unknown: string[];
}

/**
 * The database's migrations against this build's, for the readiness check. One read of Kysely's
 * bookkeeping table on the search path (where `migrateToLatest` keeps it): `Migrator.getMigrations()`
 * would first list every table of the database through Kysely's introspector, a catalog query too
 * heavy for a probe run every few seconds, and it does not report unknown migrations.
 */
export async function migrationStatus(db: Kysely<Database>): Promise<MigrationStatus> {
  let applied: string[];
  try {
    const result = await sql<{ name: string }>`SELECT name FROM ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
    applied = result.rows.map((row) => row.name);
  } catch (error) {
    // 42P01: no bookkeeping table yet, so nothing was ever migrated.
    if ((error as { code?: string }).code !== '42P01') throw error;
    applied = [];
  }
  const known = Object.keys(migrations);
  const done = new Set(applied);
  return {
    pending: known.filter((name) => !done.has(name)),
    unknown: applied.filter((name) => !(name in migrations)).sort(),
  };
}
