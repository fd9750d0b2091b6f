import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import type { Frequency } from './rules/installments.ts';

export interface InstallmentPlanInput {
  name: string;
  installments: number;
  frequency: Frequency;
  autopayLeadDays?: number | undefined;
}

export interface InstallmentPlanView {
  id: string;
  name: string;
  installments: number;
  frequency: Frequency;
  autopayLeadDays: number | null;
}

type PlanRow = {
  id: string;
  name: string;
  installments: number;
  frequency: string;
  autopay_lead_days: number | null;
};

function planView(row: PlanRow): InstallmentPlanView {
  return {
    id: row.id,
    name: row.name,
    installments: row.installments,
    frequency: row.frequency as Frequency,
    autopayLeadDays: row.autopay_lead_days,
  };
}

export async function createInstallmentPlan(
  db: Db | Tx,
  actor: Actor,
  input: InstallmentPlanInput,
): Promise<InstallmentPlanView> {
  return inTransaction(db, async (tx) => {
    try {
      const row = await tx
        .insertInto('installment_plans')
        .values({
          agency_id: actor.agencyId,
          name: input.name,
          installments: input.installments,
          frequency: input.frequency,
          autopay_lead_days: input.autopayLeadDays ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(tx, actor, 'installment_plan.created', { type: 'installment_plan', id: row.id }, { ...input });
      return planView(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', `an installment plan named "${input.name}" already exists`, {
          errors: [{ path: 'name', message: 'already exists' }],
        });
      }
      throw error;
    }
  });
}

/** Finds a plan by id or by name (plans are referred to by name in policy requests). */
export async function findInstallmentPlan(
  db: Db | Tx,
  agencyId: string,
  idOrName: string,
): Promise<InstallmentPlanView | undefined> {
  const isId = isUuid(idOrName);
  const row = await db
    .selectFrom('installment_plans')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where(isId ? 'id' : 'name', '=', idOrName)
    .executeTakeFirst();
  return row ? planView(row) : undefined;
}

export async function listInstallmentPlans(db: Db, actor: Actor): Promise<InstallmentPlanView[]> {
  const rows = await db
    .selectFrom('installment_plans')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .orderBy('name')
    .execute();
  return rows.map(planView);
}

export interface InstallmentPlanChange {
  name?: string | undefined;
  installments?: number | undefined;
  frequency?: Frequency | undefined;
  /** null: the plan has no autopay. */
  autopayLeadDays?: number | null | undefined;
}

/**
 * Changes a plan. Policies bill from their plan when they are billed, so a change applies to
 * policies billed from now on; invoices already billed keep their due dates and autopay times.
 */
export async function updateInstallmentPlan(
  db: Db | Tx,
  actor: Actor,
  id: string,
  change: InstallmentPlanChange,
): Promise<InstallmentPlanView> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may change installment plans');
  if (!isUuid(id)) throw notFound('installment plan', id);
  return inTransaction(db, async (tx) => {
    const values = {
      ...(change.name !== undefined && { name: change.name }),
      ...(change.installments !== undefined && { installments: change.installments }),
      ...(change.frequency !== undefined && { frequency: change.frequency }),
      ...(change.autopayLeadDays !== undefined && { autopay_lead_days: change.autopayLeadDays }),
    };
    const exists = await tx
      .selectFrom('installment_plans')
      .select('id')
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!exists) throw notFound('installment plan', id);
    try {
      const row =
        Object.keys(values).length === 0
          ? await tx.selectFrom('installment_plans').selectAll().where('id', '=', exists.id).executeTakeFirstOrThrow()
          : await tx
              .updateTable('installment_plans')
              .set(values)
              .where('id', '=', exists.id)
              .where('agency_id', '=', actor.agencyId)
              .returningAll()
              .executeTakeFirstOrThrow();
      if (Object.keys(values).length > 0) {
        await audit(tx, actor, 'installment_plan.updated', { type: 'installment_plan', id: row.id }, { ...change });
      }
      return planView(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', `an installment plan named "${change.name}" already exists`, {
          errors: [{ path: 'name', message: 'already exists' }],
        });
      }
      throw error;
    }
  });
}
