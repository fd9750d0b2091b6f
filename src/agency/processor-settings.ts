import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import {
  checkProcessorChoice,
  isTestModeChoice,
  lastFour,
  type ProcessorChoiceInput,
  type ProcessorKind,
} from './rules/processor-keys.ts';
import { openSecret, sealSecret, secretContext } from './secrets/stored-secrets.ts';

/** An agency's own processor as a screen may see it: secrets only by their last 4 characters. */
export interface AgencyProcessorView {
  kind: ProcessorKind;
  publishableKey: string | null;
  secretKeyLast4: string | null;
  webhookSecretLast4: string | null;
  testMode: boolean;
  updatedAt: Date;
  updatedBy: string;
}

function requireStaff(actor: Actor): void {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may see or change the processor');
}

/** The agency's own processor, or undefined when it follows the process default. */
export async function getAgencyProcessor(db: Db | Tx, actor: Actor): Promise<AgencyProcessorView | undefined> {
  requireStaff(actor);
  const row = await db
    .selectFrom('agency_processors')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .executeTakeFirst();
  if (!row) return undefined;
  const secretKey = row.secret_key ? openSecret(row.secret_key, secretContext.processorSecretKey(row.agency_id)) : null;
  const webhookSecret = row.webhook_secret
    ? openSecret(row.webhook_secret, secretContext.processorWebhook(row.agency_id))
    : null;
  return {
    kind: row.kind as ProcessorKind,
    publishableKey: row.publishable_key,
    secretKeyLast4: secretKey ? lastFour(secretKey) : null,
    webhookSecretLast4: webhookSecret ? lastFour(webhookSecret) : null,
    testMode: isTestModeChoice(row.kind as ProcessorKind, secretKey),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/**
 * Chooses the agency's processor (staff only). Keys are checked for shape before anything is
 * written, and secrets are sealed with the secret box; a secret left out keeps the stored one, so
 * the settings screen can save without showing it. Payments started after this use the new choice.
 */
export async function saveAgencyProcessor(
  db: Db | Tx,
  actor: Actor,
  input: ProcessorChoiceInput,
): Promise<AgencyProcessorView> {
  requireStaff(actor);
  return inTransaction(db, async (tx) => {
    const stored = await tx
      .selectFrom('agency_processors')
      .selectAll()
      .where('agency_id', '=', actor.agencyId)
      .forUpdate()
      .executeTakeFirst();
    const storedStripe = stored?.kind === 'stripe' ? stored : undefined;
    const storedSecret = storedStripe?.secret_key
      ? openSecret(storedStripe.secret_key, secretContext.processorSecretKey(actor.agencyId))
      : undefined;
    const checked = checkProcessorChoice(input, storedSecret);
    const accountChanges =
      !stored ||
      stored.kind !== checked.kind ||
      (checked.secretKey !== undefined && checked.secretKey !== storedSecret);
    if (accountChanges) await refuseWhileOutcomesUnknown(tx, actor.agencyId);
    const secretKey =
      checked.secretKey === undefined
        ? (storedStripe?.secret_key ?? null)
        : sealSecret(checked.secretKey, secretContext.processorSecretKey(actor.agencyId));
    const webhookSecret =
      checked.webhookSecret === undefined
        ? (storedStripe?.webhook_secret ?? null)
        : checked.webhookSecret === null
          ? null
          : sealSecret(checked.webhookSecret, secretContext.processorWebhook(actor.agencyId));
    const values = {
      kind: checked.kind,
      publishable_key: checked.publishableKey,
      secret_key: checked.kind === 'stripe' ? secretKey : null,
      webhook_secret: checked.kind === 'stripe' ? webhookSecret : null,
      updated_by: actor.label,
      updated_at: sql<Date>`now()`,
    };
    await tx
      .insertInto('agency_processors')
      .values({ agency_id: actor.agencyId, ...values })
      .onConflict((oc) => oc.column('agency_id').doUpdateSet(values))
      .execute();
    // The audit names what changed, never a secret.
    await audit(
      tx,
      actor,
      'processor_settings.updated',
      { type: 'agency', id: actor.agencyId },
      {
        kind: checked.kind,
        secretKeyChanged: checked.secretKey !== undefined,
        webhookSecretChanged: checked.webhookSecret !== undefined,
      },
    );
    const view = await getAgencyProcessor(tx, actor);
    return view as AgencyProcessorView;
  });
}

/**
 * An attempt whose outcome is unknown is resolved by asking the account that was charged. Were the
 * account switched first, the janitor would ask the new one, hear "not found" and charge again:
 * so the account cannot change until the janitor has resolved every such attempt.
 */
async function refuseWhileOutcomesUnknown(tx: Tx, agencyId: string): Promise<void> {
  const open = await tx
    .selectFrom('payment_attempts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('agency_id', '=', agencyId)
    .where('status', 'in', ['started', 'unknown'])
    .executeTakeFirstOrThrow();
  if (Number(open.n) > 0) {
    throw new DomainError(
      'conflict',
      `${open.n} payment attempt(s) have no known outcome yet: the processor cannot change until they are resolved (the janitor asks every minute)`,
    );
  }
}
