import type { Actor } from './actor.ts';
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
    .values({
      agency_id: actor.agencyId,
      actor: actor.label,
      action,
      entity_type: entity.type,
      entity_id: entity.id,
      data: JSON.stringify(data, bigintReplacer),
    })
    .execute();
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
    .values({
      agency_id: actor.agencyId,
      customer_id: customerId,
      kind,
      summary,
      data: JSON.stringify(data, bigintReplacer),
      actor: actor.label,
    })
    .execute();
}

export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
