import { findCustomer, lockCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';

export interface AutopayEnrollmentView {
  customerNumber: number;
  enrolled: boolean;
  paymentMethod: {
    id: string;
    kind: 'card' | 'ach';
    brand: string | null;
    last4: string;
    /** False once the method is removed or disabled: autopay then skips the customer's invoices. */
    usable: boolean;
  } | null;
  enrolledAt: Date | null;
  enrolledBy: string | null;
}

async function activeEnrollment(db: Db | Tx, agencyId: string, customerId: string) {
  return db
    .selectFrom('autopay_enrollments')
    .innerJoin('payment_methods', 'payment_methods.id', 'autopay_enrollments.payment_method_id')
    .select([
      'autopay_enrollments.id',
      'autopay_enrollments.payment_method_id',
      'autopay_enrollments.enrolled_at',
      'autopay_enrollments.enrolled_by',
      'payment_methods.kind',
      'payment_methods.brand',
      'payment_methods.last4',
      'payment_methods.disabled_at',
      'payment_methods.deleted_at',
    ])
    .where('autopay_enrollments.agency_id', '=', agencyId)
    .where('autopay_enrollments.customer_id', '=', customerId)
    .where('autopay_enrollments.ended_at', 'is', null)
    .executeTakeFirst();
}

async function enrollmentView(
  db: Db | Tx,
  agencyId: string,
  customer: { id: string; customer_number: number },
): Promise<AutopayEnrollmentView> {
  const row = await activeEnrollment(db, agencyId, customer.id);
  if (!row) {
    return {
      customerNumber: customer.customer_number,
      enrolled: false,
      paymentMethod: null,
      enrolledAt: null,
      enrolledBy: null,
    };
  }
  return {
    customerNumber: customer.customer_number,
    enrolled: true,
    paymentMethod: {
      id: row.payment_method_id,
      kind: row.kind,
      brand: row.brand,
      last4: row.last4,
      usable: row.disabled_at === null && row.deleted_at === null,
    },
    enrolledAt: row.enrolled_at,
    enrolledBy: row.enrolled_by,
  };
}

export async function getAutopayEnrollment(
  db: Db | Tx,
  actor: Actor,
  customerNumber: number,
): Promise<AutopayEnrollmentView> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  return enrollmentView(db, actor.agencyId, customer);
}

/**
 * Turns autopay on for a customer with one of their saved, usable payment methods (by default the
 * customer's default method). Enrolling again with another method replaces the enrollment; with
 * the same method it changes nothing.
 */
export async function enrollAutopay(
  db: Db | Tx,
  actor: Actor,
  customerNumber: number,
  input: { paymentMethodId?: string | undefined },
): Promise<AutopayEnrollmentView> {
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, customerNumber);
    await lockCustomer(tx, actor.agencyId, customer.id);
    const method = await enrollableMethod(tx, actor.agencyId, customer.id, input.paymentMethodId);
    const current = await activeEnrollment(tx, actor.agencyId, customer.id);
    if (current?.payment_method_id === method.id) return enrollmentView(tx, actor.agencyId, customer);
    if (current) await endEnrollment(tx, current.id, actor, 'replaced');
    const row = await tx
      .insertInto('autopay_enrollments')
      .values({
        agency_id: actor.agencyId,
        customer_id: customer.id,
        payment_method_id: method.id,
        enrolled_by: actor.label,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const described = `${method.kind === 'card' ? (method.brand ?? 'card') : 'bank account'} ending ${method.last4}`;
    await logActivity(tx, actor, customer.id, 'autopay_enrolled', `Autopay turned on with the ${described}`, {
      paymentMethodId: method.id,
    });
    await audit(
      tx,
      actor,
      current ? 'autopay.enrollment_replaced' : 'autopay.enrolled',
      { type: 'autopay_enrollment', id: row.id },
      { customerNumber, paymentMethodId: method.id },
    );
    return enrollmentView(tx, actor.agencyId, customer);
  });
}

/** Turns autopay off: the enrollment ends (kept as history); nothing is pulled afterwards. */
export async function cancelAutopay(db: Db | Tx, actor: Actor, customerNumber: number): Promise<void> {
  await inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, customerNumber);
    await lockCustomer(tx, actor.agencyId, customer.id);
    const current = await activeEnrollment(tx, actor.agencyId, customer.id);
    if (!current) throw new DomainError('not_found', `customer ${customerNumber} is not enrolled in autopay`);
    await endEnrollment(tx, current.id, actor, 'cancelled');
    await logActivity(tx, actor, customer.id, 'autopay_cancelled', 'Autopay turned off');
    await audit(tx, actor, 'autopay.cancelled', { type: 'autopay_enrollment', id: current.id }, { customerNumber });
  });
}

async function endEnrollment(tx: Tx, id: string, actor: Actor, reason: string): Promise<void> {
  await tx
    .updateTable('autopay_enrollments')
    .set({ ended_at: new Date(), ended_by: actor.label, end_reason: reason })
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', id)
    .execute();
}

async function enrollableMethod(tx: Tx, agencyId: string, customerId: string, id: string | undefined) {
  let query = tx
    .selectFrom('payment_methods')
    .select(['id', 'kind', 'brand', 'last4', 'disabled_at', 'disabled_reason', 'deleted_at'])
    .where('agency_id', '=', agencyId)
    .where('customer_id', '=', customerId);
  if (id === undefined) {
    const method = await query.where('is_default', '=', true).where('deleted_at', 'is', null).executeTakeFirst();
    if (!method) {
      throw new DomainError('unprocessable', 'the customer has no default payment method to enroll', {
        errors: [{ path: 'paymentMethodId', message: 'is required: the customer has no default payment method' }],
      });
    }
    query = query.where('id', '=', method.id);
  } else if (isUuid(id)) {
    query = query.where('id', '=', id);
  } else {
    throw notSaved(id);
  }
  const method = await query.executeTakeFirst();
  if (!method || method.deleted_at) throw notSaved(id ?? 'default');
  if (method.disabled_at) {
    throw new DomainError('unprocessable', `payment method ${method.id} is disabled`, {
      errors: [{ path: 'paymentMethodId', message: `is disabled (${method.disabled_reason ?? 'by the processor'})` }],
    });
  }
  return method;
}

function notSaved(id: string): DomainError {
  return new DomainError('unprocessable', `payment method ${id} is not a saved method of this customer`, {
    errors: [{ path: 'paymentMethodId', message: 'is not a saved method of this customer' }],
  });
}
