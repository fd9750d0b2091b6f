import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Cents } from '../kernel/money.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import { assertBalanced, type JournalEntryDraft, type JournalLineDraft, type LedgerAccount } from './rules/ledger.ts';

/**
 * Writes a balanced journal entry; the database re-checks balance at commit. The entry and its
 * lines go in one statement (the entry id is made here), one round trip instead of two.
 */
export async function postJournalEntry(tx: Tx, agencyId: string, draft: JournalEntryDraft): Promise<string> {
  const { id, entry, lines } = journalEntryRows(agencyId, draft);
  await tx
    .with('entry', (db) =>
      db
        .insertInto('journal_entries')
        .values({ ...entry, description: draft.description })
        .returning('id'),
    )
    .insertInto('journal_lines')
    .values(lines)
    .execute();
  return id;
}

/**
 * The rows `postJournalEntry` writes but the description, checked balanced, for a use case that
 * writes the entry in a statement of its own, which finishes the description (a receipt's names
 * the receipt number that statement takes).
 */
export function journalEntryRows(
  agencyId: string,
  draft: Omit<JournalEntryDraft, 'description'>,
): { id: string; entry: JournalEntryRow; lines: JournalLineRow[] } {
  assertBalanced(draft);
  const id = randomUUID();
  return {
    id,
    entry: {
      id,
      agency_id: agencyId,
      kind: draft.kind,
      occurred_on: draft.occurredOn,
      source_type: draft.sourceType ?? null,
      source_id: draft.sourceId ?? null,
      reverses_entry_id: draft.reversesEntryId ?? null,
    },
    lines: draft.lines.map((line) => ({
      agency_id: agencyId,
      entry_id: id,
      account: line.account,
      customer_id: line.customerId ?? null,
      invoice_id: line.invoiceId ?? null,
      bank_id: line.bankId ?? null,
      amount_cents: line.amountCents,
    })),
  };
}

export interface JournalEntryRow {
  id: string;
  agency_id: string;
  kind: string;
  occurred_on: string;
  source_type: string | null;
  source_id: string | null;
  reverses_entry_id: string | null;
}

export interface JournalLineRow {
  agency_id: string;
  entry_id: string;
  account: LedgerAccount;
  customer_id: string | null;
  invoice_id: string | null;
  bank_id: string | null;
  amount_cents: Cents;
}

/** Open balance per invoice, derived from the AR lines of the ledger. */
export async function invoiceBalances(
  db: Db | Tx,
  agencyId: string,
  invoiceIds: readonly string[],
): Promise<Map<string, Cents>> {
  const balances = new Map<string, Cents>(invoiceIds.map((id) => [id, 0n]));
  if (invoiceIds.length === 0) return balances;
  const rows = await db
    .selectFrom('journal_lines')
    .select(['invoice_id', sql<bigint>`sum(amount_cents)::int8`.as('balance')])
    .where('agency_id', '=', agencyId)
    .where('account', '=', 'accounts_receivable')
    .where('invoice_id', 'in', invoiceIds)
    .groupBy('invoice_id')
    .execute();
  for (const row of rows) if (row.invoice_id) balances.set(row.invoice_id, row.balance);
  return balances;
}

/** A customer's AR balance (what they owe) and On Account credit (what they have prepaid). */
export async function customerBalances(
  db: Db | Tx,
  agencyId: string,
  customerId: string,
): Promise<{ arCents: Cents; onAccountCents: Cents }> {
  const row = await db
    .selectFrom('journal_lines')
    .select([
      sql<bigint>`coalesce(sum(amount_cents) filter (where account = 'accounts_receivable'), 0)::int8`.as('ar'),
      sql<bigint>`coalesce(-sum(amount_cents) filter (where account = 'on_account'), 0)::int8`.as('on_account'),
    ])
    .where('agency_id', '=', agencyId)
    .where('customer_id', '=', customerId)
    .where('account', 'in', ['accounts_receivable', 'on_account'])
    .executeTakeFirstOrThrow();
  return { arCents: row.ar, onAccountCents: row.on_account };
}

/** The lines of a journal entry, as drafts (for reversing it). */
export async function entryLines(tx: Tx, agencyId: string, entryId: string): Promise<JournalLineDraft[]> {
  const lines = await tx
    .selectFrom('journal_lines')
    .select(['account', 'amount_cents', 'customer_id', 'invoice_id', 'bank_id'])
    .where('agency_id', '=', agencyId)
    .where('entry_id', '=', entryId)
    .orderBy('id')
    .execute();
  return lines.map((l) => ({
    account: l.account,
    amountCents: l.amount_cents,
    customerId: l.customer_id ?? undefined,
    invoiceId: l.invoice_id ?? undefined,
    bankId: l.bank_id ?? undefined,
  }));
}
