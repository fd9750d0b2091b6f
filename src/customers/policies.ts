import { agencyToday } from '../agency/agencies.ts';
import { findInstallmentPlan } from '../agency/installment-plans.ts';
import type { Actor } from '../kernel/actor.ts';
import { isCalendarDate } from '../kernel/calendar.ts';
import { DomainError, invalid, notFound } from '../kernel/errors.ts';
import type { Cents } from '../kernel/money.ts';
import { audit } from '../platform/db/audit.ts';
import type { Policy } from '../platform/db/schema.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import { findCustomer } from './customers.ts';
import {
  type CancellationReason,
  creatableStatuses,
  type PolicyStatus,
  type TransitionRequest,
  transitionPolicy,
} from './rules/policy-lifecycle.ts';

export interface PolicyInput {
  customerNumber: number;
  policyNumber: string;
  lineOfBusiness: string;
  effectiveDate: string;
  expirationDate: string;
  premiumCents: Cents;
  installmentPlan?: string | undefined;
  status?: PolicyStatus | undefined;
}

export interface PolicyView {
  id: string;
  policyNumber: string;
  customerNumber: number;
  lineOfBusiness: string;
  effectiveDate: string;
  expirationDate: string;
  premiumCents: Cents;
  installmentPlan: string | null;
  status: PolicyStatus;
  cancellationReason: CancellationReason | null;
  cancellationEffectiveDate: string | null;
  tags: string[];
}

export async function policyView(db: Db | Tx, row: Policy): Promise<PolicyView> {
  const extra = await db
    .selectFrom('policies')
    .innerJoin('customers', 'customers.id', 'policies.customer_id')
    .leftJoin('installment_plans', 'installment_plans.id', 'policies.installment_plan_id')
    .select(['customers.customer_number', 'installment_plans.name as plan_name'])
    .where('policies.id', '=', row.id)
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    policyNumber: row.policy_number,
    customerNumber: extra.customer_number,
    lineOfBusiness: row.line_of_business,
    effectiveDate: row.effective_date,
    expirationDate: row.expiration_date,
    premiumCents: row.premium_cents,
    installmentPlan: extra.plan_name ?? null,
    status: row.status,
    cancellationReason: row.cancellation_reason,
    cancellationEffectiveDate: row.cancellation_effective_date,
    tags: row.tags,
  };
}

export async function createPolicy(db: Db | Tx, actor: Actor, input: PolicyInput): Promise<PolicyView> {
  const status = input.status ?? 'unsubmitted';
  if (!creatableStatuses.includes(status)) {
    throw invalid('status', `a policy cannot be created as ${status}: create it active, then transition it`);
  }
  if (!isCalendarDate(input.effectiveDate)) throw invalid('effectiveDate', 'must be a date YYYY-MM-DD');
  if (!isCalendarDate(input.expirationDate)) throw invalid('expirationDate', 'must be a date YYYY-MM-DD');
  if (input.expirationDate <= input.effectiveDate) throw invalid('expirationDate', 'must be after effectiveDate');
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, input.customerNumber).catch((error) => {
      throw error instanceof DomainError && error.code === 'not_found'
        ? new DomainError('unprocessable', error.message, {
            errors: [{ path: 'customerNumber', message: 'unknown customer' }],
          })
        : error;
    });
    let planId: string | null = null;
    if (input.installmentPlan) {
      const plan = await findInstallmentPlan(tx, actor.agencyId, input.installmentPlan);
      if (!plan) {
        throw new DomainError('unprocessable', `installment plan "${input.installmentPlan}" was not found`, {
          errors: [{ path: 'installmentPlan', message: 'unknown installment plan' }],
        });
      }
      planId = plan.id;
    }
    let row: Policy;
    try {
      row = await tx
        .insertInto('policies')
        .values({
          agency_id: actor.agencyId,
          customer_id: customer.id,
          policy_number: input.policyNumber,
          line_of_business: input.lineOfBusiness,
          effective_date: input.effectiveDate,
          expiration_date: input.expirationDate,
          premium_cents: input.premiumCents,
          installment_plan_id: planId,
          status,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', `policyNumber ${input.policyNumber} already exists`, {
          errors: [{ path: 'policyNumber', message: 'already exists' }],
        });
      }
      throw error;
    }
    await audit(
      tx,
      actor,
      'policy.created',
      { type: 'policy', id: row.id },
      { policyNumber: input.policyNumber, status },
    );
    return policyView(tx, row);
  });
}

export async function findPolicy(db: Db | Tx, agencyId: string, policyNumber: string, lock = false): Promise<Policy> {
  let query = db
    .selectFrom('policies')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('policy_number', '=', policyNumber);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('policy', policyNumber);
  return row;
}

export async function getPolicy(db: Db, actor: Actor, policyNumber: string): Promise<PolicyView> {
  return policyView(db, await findPolicy(db, actor.agencyId, policyNumber));
}

export async function listCustomerPolicies(db: Db, actor: Actor, customerNumber: number): Promise<PolicyView[]> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  const rows = await db
    .selectFrom('policies')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .where('customer_id', '=', customer.id)
    .orderBy('effective_date', 'desc')
    .execute();
  return Promise.all(rows.map((row) => policyView(db, row)));
}

export async function transition(
  db: Db | Tx,
  actor: Actor,
  policyNumber: string,
  request: TransitionRequest,
  now: Date = new Date(),
): Promise<PolicyView> {
  if (request.effectiveDate !== undefined && !isCalendarDate(request.effectiveDate)) {
    throw invalid('effectiveDate', 'must be a date YYYY-MM-DD');
  }
  return inTransaction(db, async (tx) => {
    const policy = await findPolicy(tx, actor.agencyId, policyNumber, true);
    const today = await agencyToday(tx, actor.agencyId, now);
    const next = transitionPolicy(
      {
        status: policy.status,
        cancellationReason: policy.cancellation_reason,
        cancellationEffectiveDate: policy.cancellation_effective_date,
      },
      request,
      today,
    );
    const row = await tx
      .updateTable('policies')
      .set({
        status: next.status,
        cancellation_reason: next.cancellationReason,
        cancellation_effective_date: next.cancellationEffectiveDate,
        updated_at: now,
      })
      .where('id', '=', policy.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'policy.transitioned', { type: 'policy', id: policy.id }, { from: policy.status, ...next });
    return policyView(tx, row);
  });
}

const TAG = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export async function addTag(db: Db | Tx, actor: Actor, policyNumber: string, tag: string): Promise<PolicyView> {
  if (!TAG.test(tag)) throw invalid('tag', 'must be lowercase letters, digits, _ or - (at most 64)');
  return inTransaction(db, async (tx) => {
    const policy = await findPolicy(tx, actor.agencyId, policyNumber, true);
    const tags = policy.tags.includes(tag) ? policy.tags : [...policy.tags, tag];
    const row = await tx
      .updateTable('policies')
      .set({ tags, updated_at: new Date() })
      .where('id', '=', policy.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'policy.tagged', { type: 'policy', id: policy.id }, { tag });
    return policyView(tx, row);
  });
}

export async function removeTag(db: Db | Tx, actor: Actor, policyNumber: string, tag: string): Promise<PolicyView> {
  return inTransaction(db, async (tx) => {
    const policy = await findPolicy(tx, actor.agencyId, policyNumber, true);
    if (!policy.tags.includes(tag)) throw notFound(`tag on policy ${policyNumber}:`, tag);
    const row = await tx
      .updateTable('policies')
      .set({ tags: policy.tags.filter((t) => t !== tag), updated_at: new Date() })
      .where('id', '=', policy.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'policy.untagged', { type: 'policy', id: policy.id }, { tag });
    return policyView(tx, row);
  });
}
