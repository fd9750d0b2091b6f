import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import { defaultRetryPlan, type RetryPlan } from './rules/retry-plans.ts';

export interface RetryPlanView extends RetryPlan {
  id: string;
  isDefault: boolean;
}

type Row = { id: string; name: string; delay_days: number[]; retry_codes: string[] | null; is_default: boolean };
const toView = (r: Row): RetryPlanView => ({
  id: r.id,
  name: r.name,
  delayDays: r.delay_days,
  retryCodes: r.retry_codes,
  isDefault: r.is_default,
});

/** The agency's default plan, created on first use from the standard one (1, 3, 5 days; soft declines). */
export async function defaultRetryPlanFor(tx: Tx, agencyId: string): Promise<RetryPlanView> {
  const found = await tx
    .selectFrom('retry_plans')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('is_default', '=', true)
    .executeTakeFirst();
  if (found) return toView(found);
  await tx
    .insertInto('retry_plans')
    .values({
      agency_id: agencyId,
      name: defaultRetryPlan.name,
      delay_days: defaultRetryPlan.delayDays,
      retry_codes: defaultRetryPlan.retryCodes,
      is_default: true,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await tx
    .selectFrom('retry_plans')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('is_default', '=', true)
    .executeTakeFirstOrThrow();
  return toView(row);
}

export async function findRetryPlan(tx: Tx, agencyId: string, name: string): Promise<RetryPlanView> {
  const row = await tx
    .selectFrom('retry_plans')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) {
    throw new DomainError('unprocessable', `retry plan "${name}" does not exist`, {
      errors: [{ path: 'retryPlan', message: 'unknown retry plan' }],
    });
  }
  return toView(row);
}

export async function retryPlanById(tx: Tx, id: string): Promise<RetryPlanView> {
  return toView(await tx.selectFrom('retry_plans').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
}

export async function createRetryPlan(
  db: Db | Tx,
  actor: Actor,
  input: { name: string; delayDays: number[]; retryCodes?: string[] | undefined; isDefault?: boolean | undefined },
): Promise<RetryPlanView> {
  return inTransaction(db, async (tx) => {
    await defaultRetryPlanFor(tx, actor.agencyId);
    if (input.isDefault) {
      await tx.updateTable('retry_plans').set({ is_default: false }).where('agency_id', '=', actor.agencyId).execute();
    }
    try {
      const row = await tx
        .insertInto('retry_plans')
        .values({
          agency_id: actor.agencyId,
          name: input.name,
          delay_days: input.delayDays,
          retry_codes: input.retryCodes ?? null,
          is_default: input.isDefault ?? false,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(tx, actor, 'retry_plan.created', { type: 'retry_plan', id: row.id }, { ...input });
      return toView(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', `a retry plan named "${input.name}" exists`, {
          errors: [{ path: 'name', message: 'already exists' }],
        });
      }
      throw error;
    }
  });
}

export async function listRetryPlans(db: Db, actor: Actor): Promise<RetryPlanView[]> {
  await inTransaction(db, (tx) => defaultRetryPlanFor(tx, actor.agencyId));
  const rows = await db
    .selectFrom('retry_plans')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .orderBy('name')
    .execute();
  return rows.map(toView);
}
