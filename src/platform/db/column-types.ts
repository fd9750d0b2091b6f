import type { ColumnType } from 'kysely';
import type { SyncEntity } from '../../sync/rules/records.ts';

// Column types the database cannot tell kysely-codegen: what a jsonb column holds, and the values
// a text column's CHECK allows where no domain type names them. The generator
// (scripts/db-types.ts) imports these into schema.generated.ts.

/** jsonb: both drivers return it parsed; policypay writes it as JSON text (`JSON.stringify`). */
export type JsonColumn<T = unknown> = ColumnType<T, string, string>;

export type Role = 'staff' | 'agent' | 'client';
export type EmailStatus = 'pending' | 'sent' | 'failed' | 'kept';
export type AmsReceiptExportStatus = 'held' | 'pending' | 'sending' | 'sent' | 'failed';
/** Invoices are linked and pushed (migration 0015), though the hub pulls none. */
export type StoredSyncEntity = SyncEntity | 'invoice';
