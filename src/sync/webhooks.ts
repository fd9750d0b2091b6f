import { findAgencyBySlug } from '../agency/agencies.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Db } from '../platform/db/transaction.ts';
import { applyExternalCustomers } from './apply.ts';
import { ConnectorError, type InboundEvent } from './connectors/connector.ts';
import { loadConnector } from './connectors.ts';
import { lockAgencySync } from './outbox/sync-settings.ts';
import type { SyncSystem } from './rules/records.ts';
import { verifySyncWebhook } from './rules/signature.ts';

export interface WebhookOutcome {
  agencyId: string;
  outcome: 'created' | 'linked' | 'updated' | 'unchanged' | 'stale' | 'review' | 'rejected' | 'invalid' | 'duplicate';
}

/**
 * One signed real-time event: checked (HMAC over timestamp and raw body, within five minutes),
 * read by the system's connector, and applied in one transaction with its event id, so a
 * redelivery finds the id and changes nothing.
 */
export async function receiveSyncWebhook(
  db: Db,
  input: { agencySlug: string; system: SyncSystem; rawBody: string; signature: string | undefined; now: Date },
): Promise<WebhookOutcome> {
  const agency = await findAgencyBySlug(db, input.agencySlug);
  const loaded = agency ? await loadConnector(db, agency.id, input.system) : null;
  // Unknown agency and unconfigured system answer alike, so the endpoint reveals nothing.
  if (!agency || !loaded?.webhookSecret) throw new DomainError('not_found', 'no such sync webhook');
  const check = verifySyncWebhook(loaded.webhookSecret, input.rawBody, input.signature, input.now);
  if (!check.ok) throw new DomainError('unauthenticated', `webhook signature refused: ${check.reason}`);
  let event: InboundEvent;
  try {
    event = loaded.connector.parseEvent(JSON.parse(input.rawBody));
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof ConnectorError) {
      throw new DomainError('validation_failed', `not a ${input.system} event: ${error.message}`);
    }
    throw error;
  }
  const agencyId = agency.id;
  return db.transaction().execute(async (tx) => {
    const rules = await lockAgencySync(tx, agencyId);
    const seen = await tx
      .selectFrom('sync_events')
      .select('outcome')
      .where('agency_id', '=', agencyId)
      .where('system', '=', input.system)
      .where('event_id', '=', event.eventId)
      .executeTakeFirst();
    if (seen) return { agencyId, outcome: 'duplicate' as const };
    const figures = await applyExternalCustomers(tx, agencyId, input.system, [event.record], rules);
    const outcome = (
      ['created', 'linked', 'updated', 'unchanged', 'stale', 'review', 'rejected', 'invalid'] as const
    ).find((key) => figures[key] > 0) as WebhookOutcome['outcome'];
    await tx
      .insertInto('sync_events')
      .values({ agency_id: agencyId, system: input.system, event_id: event.eventId, outcome })
      .execute();
    return { agencyId, outcome };
  });
}
