import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
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
