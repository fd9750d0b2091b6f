import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import type { RowPlan, WritablePlan } from './book-matching.ts';
import { writeContacts, writeCustomers } from './customer-writers.ts';
import { writeInvoices } from './invoice-writers.ts';
import { writePolicies } from './policy-writers.ts';
import type { BookRow } from './rules/book-rows.ts';

/**
 * Writes a batch of planned rows (all of one kind, none a problem) set-based: a few multi-row
 * statements per table instead of each row through its single-row use case. The writers repeat
 * what those use cases record (audit rows, numbering, sync pushes, journal entries, autopay times)
 * in bulk; each says which effect it keeps and why another does not apply to an import.
 *
 * Rows were matched on their natural keys in this same transaction (the import row is locked), so
 * a unique violation here means another writer took a key since: the batch rolls back whole.
 */
export async function writeBatch(tx: Tx, actor: Actor, plans: readonly RowPlan[], today: string, now: Date) {
  const writable = plans.filter(
    (p): p is WritablePlan<BookRow['kind']> => p.outcome === 'create' || p.outcome === 'unchanged',
  );
  const kind = writable[0]?.row.kind;
  try {
    if (kind === 'customers') await writeCustomers(tx, actor, writable as WritablePlan<'customers'>[]);
    const created = writable.filter((p) => p.outcome === 'create');
    if (created.length === 0) return;
    if (kind === 'contacts') await writeContacts(tx, actor, created as WritablePlan<'contacts'>[]);
    if (kind === 'policies') await writePolicies(tx, actor, created as WritablePlan<'policies'>[], today, now);
    if (kind === 'invoices') await writeInvoices(tx, actor, created as WritablePlan<'invoices'>[], today);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError(
        'conflict',
        `the book changed during the commit (${(error as Error).message}): run it again`,
      );
    }
    throw error;
  }
}
