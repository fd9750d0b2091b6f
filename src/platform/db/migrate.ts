import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
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
import * as agencyProfile from './migrations/0016_agency_profile.ts';
import * as imports from './migrations/0017_imports.ts';
import * as userAccounts from './migrations/0018_user_accounts.ts';
import * as agencyProcessors from './migrations/0020_agency_processors.ts';
import * as ledgerCheckProbes from './migrations/0024_ledger_check_probes.ts';
import * as syncFirstLoad from './migrations/0025_sync_first_load.ts';
import * as invoiceBalances from './migrations/0026_invoice_balances.ts';
import * as customerSearch from './migrations/0027_customer_search.ts';
import * as agingSummaries from './migrations/0028_aging_summaries.ts';
import * as cardFees from './migrations/0029_card_fees.ts';
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
  '0016_agency_profile': agencyProfile,
  '0017_imports': imports,
  '0018_user_accounts': userAccounts,
  '0020_agency_processors': agencyProcessors,
  '0024_ledger_check_probes': ledgerCheckProbes,
  '0025_sync_first_load': syncFirstLoad,
  '0026_invoice_balances': invoiceBalances,
  '0027_customer_search': customerSearch,
  '0028_aging_summaries': agingSummaries,
  '0029_card_fees': cardFees,
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
  if (await allApplied(db, schema)) return { applied: [] };
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
  applied: string[];
  /** Known to this build, not yet applied: the next start applies them. */
  pending: string[];
  /** Recorded in the database, unknown to this build: the database is newer than this code. */
  unknown: string[];
}

/** What a start would do to the schema, read without a lock and without changing anything. */
export async function migrationStatus(db: Kysely<Database>, schema?: string): Promise<MigrationStatus> {
  const recorded = await recordedMigrations(db, schema);
  const known = Object.keys(migrations);
  return {
    applied: known.filter((name) => recorded.has(name)),
    pending: known.filter((name) => !recorded.has(name)),
    unknown: [...recorded].filter((name) => !(name in migrations)).sort(),
  };
}

/**
 * Whether the database has recorded exactly the migrations this build knows. Every start asks;
 * the Migrator's own check (a lock and an introspection of every table) costs ~0.5 s on PGlite,
 * these two queries a few ms. Anything else — no table yet, a migration missing, one this build
 * does not know — goes through the Migrator, which applies or refuses under its lock.
 */
async function allApplied(db: Kysely<Database>, schema?: string): Promise<boolean> {
  const status = await migrationStatus(db, schema);
  return status.pending.length === 0 && status.unknown.length === 0;
}

async function recordedMigrations(db: Kysely<Database>, schema?: string): Promise<Set<string>> {
  const name = schema ? `${schema}.kysely_migration` : 'kysely_migration';
  const { rows: found } = await sql<{ found: string | null }>`select to_regclass(${name})::text as found`.execute(db);
  if (!found[0]?.found) return new Set();
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(name)}`.execute(db);
  return new Set(rows.map((row) => row.name));
}
