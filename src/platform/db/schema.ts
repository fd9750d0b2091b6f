import type { Selectable } from 'kysely';
import type { Customers, DB, Imports, Invoices, Policies } from './schema.generated.ts';

// Table types are generated from the migrated database (schema.generated.ts, `npm run db:types`);
// this file gives them the names the rest of the code imports.
export type Database = DB;
export type { AmsReceiptExportStatus, EmailStatus, Role } from './column-types.ts';
export type {
  Activities as ActivitiesTable,
  AuditLog as AuditLogTable,
  AutopayFirings as AutopayFiringsTable,
  SyncLog as SyncLogTable,
  SyncOutbox as SyncOutboxTable,
} from './schema.generated.ts';

export type Customer = Selectable<Customers>;
export type Policy = Selectable<Policies>;
export type Invoice = Selectable<Invoices>;
export type Import = Selectable<Imports>;
