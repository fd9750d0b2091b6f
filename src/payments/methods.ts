import { findCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import { agencyProcessors } from './agency-processors.ts';
import type { PaymentProcessor, Processors } from './processors/processor.ts';

export interface PaymentMethodView {
  id: string;
  customerNumber: number;
  processor: string;
  kind: 'card' | 'ach';
  brand: string | null;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  bankName: string | null;
  holderName: string | null;
  isDefault: boolean;
  disabled: boolean;
  disabledReason: string | null;
}

type MethodRow = {
  id: string;
  processor: string;
  kind: 'card' | 'ach';
  brand: string | null;
  last4: string;
  exp_month: number | null;
  exp_year: number | null;
  bank_name: string | null;
  holder_name: string | null;
  is_default: boolean;
  disabled_at: Date | null;
  disabled_reason: string | null;
};

function view(row: MethodRow, customerNumber: number): PaymentMethodView {
  return {
    id: row.id,
    customerNumber,
    processor: row.processor,
    kind: row.kind,
    brand: row.brand,
    last4: row.last4,
    expMonth: row.exp_month,
    expYear: row.exp_year,
    bankName: row.bank_name,
    holderName: row.holder_name,
    isDefault: row.is_default,
    disabled: row.disabled_at !== null,
    disabledReason: row.disabled_reason,
  };
}

function requireProcessor(processors: Processors, name: string, path = 'processor'): PaymentProcessor {
  const processor = processors.get(name);
  if (!processor) {
    throw new DomainError('unprocessable', `processor "${name}" is not configured`, {
      errors: [{ path, message: `must be one of ${[...processors.keys()].join(', ')}` }],
    });
  }
  return processor;
}

/**
 * Saves a tokenized card or bank account. The details (brand, last 4, expiry) come from the
 * processor, not from the caller: the card number never reached policypay, and the token is
 * only trusted once the processor has described it.
 */
export async function savePaymentMethod(
  db: Db,
  processors: Processors,
  actor: Actor,
  customerNumber: number,
  input: { processor: string; token: string; isDefault?: boolean | undefined },
): Promise<PaymentMethodView> {
  const described = await describePaymentToken(db, processors, actor.agencyId, input);
  return storePaymentMethod(db, actor, customerNumber, described, input.isDefault);
}

export interface DescribedToken {
  processor: string;
  details: NonNullable<Awaited<ReturnType<PaymentProcessor['describeToken']>>>;
}

/** Asks the processor what a token is (a network call: no transaction may be open). */
export async function describePaymentToken(
  db: Db,
  processors: Processors,
  agencyId: string,
  input: { processor?: string | undefined; token: string },
): Promise<DescribedToken> {
  // The agency's own processor when it chose one; by default the one it uses (one per agency).
  const own = await agencyProcessors(db, processors, agencyId);
  const processor = requireProcessor(own, input.processor ?? [...own.keys()][0] ?? 'none');
  const details = await processor.describeToken(input.token);
  if (!details) {
    throw new DomainError('unprocessable', `the ${processor.name} processor does not know this token`, {
      errors: [{ path: 'token', message: 'unknown token' }],
    });
  }
  return { processor: processor.name, details };
}

/** Stores a method the processor described, in the caller's transaction (or its own). */
export async function storePaymentMethod(
  db: Db | Tx,
  actor: Actor,
  customerNumber: number,
  described: DescribedToken,
  isDefaultInput: boolean | undefined,
): Promise<PaymentMethodView> {
  const { details } = described;
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, customerNumber);
    const existing = await tx
      .selectFrom('payment_methods')
      .select('id')
      .where('customer_id', '=', customer.id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    const isDefault = isDefaultInput ?? existing === undefined;
    if (isDefault) await clearDefault(tx, customer.id);
    try {
      const row = await tx
        .insertInto('payment_methods')
        .values({
          agency_id: actor.agencyId,
          customer_id: customer.id,
          processor: described.processor,
          token: details.token,
          kind: details.kind,
          brand: details.brand,
          funding: details.kind === 'card' ? (details.funding ?? 'unknown') : null,
          last4: details.last4,
          exp_month: details.expMonth,
          exp_year: details.expYear,
          bank_name: details.bankName,
          holder_name: details.holderName,
          is_default: isDefault,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(
        tx,
        actor,
        'payment_method.saved',
        { type: 'payment_method', id: row.id },
        { kind: row.kind, last4: row.last4 },
      );
      return view(row, customerNumber);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', 'this token is already saved', {
          errors: [{ path: 'token', message: 'already saved' }],
        });
      }
      throw error;
    }
  });
}

async function clearDefault(tx: Tx, customerId: string): Promise<void> {
  await tx
    .updateTable('payment_methods')
    .set({ is_default: false })
    .where('customer_id', '=', customerId)
    .where('is_default', '=', true)
    .execute();
}

export async function listPaymentMethods(db: Db, actor: Actor, customerNumber: number): Promise<PaymentMethodView[]> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  const rows = await db
    .selectFrom('payment_methods')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .where('customer_id', '=', customer.id)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => view(row, customerNumber));
}

/** Removing a method keeps the row (payments refer to it) but it can no longer be used. */
export async function deletePaymentMethod(db: Db, actor: Actor, customerNumber: number, id: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, customerNumber);
    const validId = isUuid(id);
    const row = validId
      ? await tx
          .updateTable('payment_methods')
          .set({ deleted_at: new Date(), is_default: false })
          .where('agency_id', '=', actor.agencyId)
          .where('customer_id', '=', customer.id)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .returning('id')
          .executeTakeFirst()
      : undefined;
    if (!row) throw notFound('payment method', id);
    await audit(tx, actor, 'payment_method.deleted', { type: 'payment_method', id });
  });
}

export async function disablePaymentMethod(tx: Tx, paymentMethodId: string, reason: string): Promise<void> {
  await tx
    .updateTable('payment_methods')
    .set({ disabled_at: new Date(), disabled_reason: reason, is_default: false })
    .where('id', '=', paymentMethodId)
    .where('disabled_at', 'is', null)
    .execute();
}
