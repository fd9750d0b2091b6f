import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import type { Customer } from '../platform/db/schema.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import { queueCreatePushes } from '../sync/outbox/queue.ts';
import { customerNumbers, nextNumber } from './counters.ts';

export interface Address {
  line1?: string | undefined;
  line2?: string | undefined;
  city?: string | undefined;
  state?: string | undefined;
  postalCode?: string | undefined;
  country?: string | undefined;
}

export interface CustomerInput {
  customerNumber?: number | undefined;
  type: 'individual' | 'group';
  name: string;
  email?: string | undefined;
  phone?: string | undefined;
  address?: Address | undefined;
  producerUserId?: string | undefined;
  csrUserId?: string | undefined;
}

export interface CustomerView {
  id: string;
  customerNumber: number;
  type: 'individual' | 'group';
  name: string;
  email: string | null;
  phone: string | null;
  address: Address | null;
  producerUserId: string | null;
  csrUserId: string | null;
  createdAt: Date;
}

export function customerView(row: Customer): CustomerView {
  return {
    id: row.id,
    customerNumber: row.customer_number,
    type: row.type,
    name: row.name,
    email: row.email,
    phone: row.phone,
    address: (row.address as Address | null) ?? null,
    producerUserId: row.producer_user_id,
    csrUserId: row.csr_user_id,
    createdAt: row.created_at,
  };
}

export async function createCustomer(db: Db | Tx, actor: Actor, input: CustomerInput): Promise<CustomerView> {
  return inTransaction(db, async (tx) => {
    for (const [field, userId] of [
      ['producerUserId', input.producerUserId],
      ['csrUserId', input.csrUserId],
    ] as const) {
      if (userId && !(await agencyUserExists(tx, actor.agencyId, userId))) {
        throw new DomainError('unprocessable', `${field} ${userId} is not a user of this agency`, {
          errors: [{ path: field, message: 'unknown user' }],
        });
      }
    }
    const customerNumber = input.customerNumber ?? (await nextNumber(tx, actor.agencyId, 'customer', customerNumbers));
    let row: Customer;
    try {
      row = await tx
        .insertInto('customers')
        .values({
          agency_id: actor.agencyId,
          customer_number: customerNumber,
          type: input.type,
          name: input.name,
          email: input.email ?? null,
          phone: input.phone ?? null,
          address: input.address ? JSON.stringify(input.address) : null,
          producer_user_id: input.producerUserId ?? null,
          csr_user_id: input.csrUserId ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', `customerNumber ${customerNumber} already exists`, {
          errors: [{ path: 'customerNumber', message: 'already exists' }],
        });
      }
      throw error;
    }
    await audit(tx, actor, 'customer.created', { type: 'customer', id: row.id }, { customerNumber });
    // The sync rules' pushOnCreate, without a manual push (issue 16).
    await queueCreatePushes(tx, actor.agencyId, row.id);
    return customerView(row);
  });
}

async function agencyUserExists(tx: Tx, agencyId: string, userId: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(userId)) return false;
  const row = await tx
    .selectFrom('users')
    .select('id')
    .where('agency_id', '=', agencyId)
    .where('id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Looks a customer up by number within the caller's agency; another agency's is simply not found. */
export async function findCustomer(db: Db | Tx, agencyId: string, customerNumber: number): Promise<Customer> {
  const row = await db
    .selectFrom('customers')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('customer_number', '=', customerNumber)
    .executeTakeFirst();
  if (!row) throw notFound('customer', customerNumber);
  return row;
}

export async function getCustomer(db: Db, actor: Actor, customerNumber: number): Promise<CustomerView> {
  return customerView(await findCustomer(db, actor.agencyId, customerNumber));
}

/** Locks the customer row: every money movement of one customer is serialised on it. */
export async function lockCustomer(tx: Tx, agencyId: string, customerId: string): Promise<void> {
  await tx
    .selectFrom('customers')
    .select('id')
    .where('agency_id', '=', agencyId)
    .where('id', '=', customerId)
    .forUpdate()
    .execute();
}
