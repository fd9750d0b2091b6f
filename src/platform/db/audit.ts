import type { Insertable } from 'kysely';
import type { Actor } from '../../kernel/actor.ts';
import type { ActivitiesTable, AuditLogTable } from './schema.ts';
import type { Tx } from './transaction.ts';

/** Appends to the audit log inside the use case's transaction. */
export async function audit(
  tx: Tx,
  actor: Actor,
  action: string,
  entity: { type: string; id: string },
  data: Record<string, unknown> = {},
): Promise<void> {
  await tx
    .insertInto('audit_log')
    .values(auditRow(actor, action, entity, data))
    .execute();
}

/** The audit log row `audit` writes, for a use case that folds it into a statement of its own. */
export function auditRow(
  actor: Actor,
  action: string,
  entity: { type: string; id: string },
  data: Record<string, unknown> = {},
): Insertable<AuditLogTable> {
  return {
    agency_id: actor.agencyId,
    actor: actor.label,
    action,
    entity_type: entity.type,
    entity_id: entity.id,
    data: JSON.stringify(data, bigintReplacer),
  };
}

export async function logActivity(
  tx: Tx,
  actor: Actor,
  customerId: string,
  kind: string,
  summary: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await tx
    .insertInto('activities')
    .values(activityRow(actor, customerId, kind, summary, data))
    .execute();
}

/** The activity row `logActivity` writes, for a use case that folds it into a statement of its own. */
export function activityRow(
  actor: Actor,
  customerId: string,
  kind: string,
  summary: string,
  data: Record<string, unknown> = {},
): Insertable<ActivitiesTable> {
  return {
    agency_id: actor.agencyId,
    customer_id: customerId,
    kind,
    summary,
    data: JSON.stringify(data, bigintReplacer),
    actor: actor.label,
  };
}

export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
