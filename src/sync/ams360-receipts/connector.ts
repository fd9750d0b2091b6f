import { openSecret, sealSecret, secretContext } from '../../agency/secrets/stored-secrets.ts';
import type { Actor } from '../../kernel/actor.ts';
import { notFound } from '../../kernel/errors.ts';
import { audit } from '../../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../../platform/db/transaction.ts';
import { assertConnectorUrlAllowed } from '../../platform/outbound.ts';

/** Receipt sources an agency may export: money policypay collected, and receipts posted through its API. */
export const exportableSources = ['payment', 'autopay', 'api'] as const;
type ExportableSource = (typeof exportableSources)[number];

export interface AmsReceiptConnectorInput {
  baseUrl: string;
  enabled?: boolean | undefined;
  /** Omitted: keep the stored header; null: send none. */
  authHeader?: { name: string; value: string } | null | undefined;
  sources?: ExportableSource[] | undefined;
  timeoutMs?: number | undefined;
  lookupByReference?: boolean | undefined;
}

/** The configuration as staff see it: the auth header's value is never shown back. */
export interface AmsReceiptConnectorView {
  enabled: boolean;
  baseUrl: string;
  authHeaderName: string | null;
  authHeaderSet: boolean;
  sources: string[];
  timeoutMs: number;
  lookupByReference: boolean;
  updatedBy: string;
  updatedAt: Date;
}

/** What the sender needs to call the agency's AMS. */
export interface AmsEndpoint {
  enabled: boolean;
  baseUrl: string;
  authHeader: { name: string; value: string } | null;
  timeoutMs: number;
  lookupByReference: boolean;
}

export async function getAmsReceiptConnector(db: Db | Tx, actor: Actor): Promise<AmsReceiptConnectorView> {
  const row = await db
    .selectFrom('ams_receipt_connectors')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .executeTakeFirst();
  if (!row) throw notFound('AMS360 receipt connector', 'ams360-receipts');
  return {
    enabled: row.enabled,
    baseUrl: row.base_url,
    authHeaderName: row.auth_header_name,
    authHeaderSet: row.auth_header_value !== null,
    sources: row.sources,
    timeoutMs: row.timeout_ms,
    lookupByReference: row.lookup_by_reference,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

/** Creates or replaces the agency's connector. Receipts already queued keep their bodies and keys. */
export async function saveAmsReceiptConnector(
  db: Db,
  actor: Actor,
  input: AmsReceiptConnectorInput,
): Promise<AmsReceiptConnectorView> {
  await assertConnectorUrlAllowed(input.baseUrl, 'baseUrl');
  return inTransaction(db, async (tx) => {
    const existing = await tx
      .selectFrom('ams_receipt_connectors')
      .select(['auth_header_name', 'auth_header_value', 'sources', 'timeout_ms', 'enabled', 'lookup_by_reference'])
      .where('agency_id', '=', actor.agencyId)
      .forUpdate()
      .executeTakeFirst();
    const header =
      input.authHeader === undefined
        ? { name: existing?.auth_header_name ?? null, value: existing?.auth_header_value ?? null }
        : {
            name: input.authHeader?.name ?? null,
            value: input.authHeader ? sealSecret(input.authHeader.value, secretContext.amsAuth(actor.agencyId)) : null,
          };
    const values = {
      enabled: input.enabled ?? existing?.enabled ?? true,
      base_url: input.baseUrl.replace(/\/+$/, ''),
      auth_header_name: header.name,
      auth_header_value: header.value,
      sources: input.sources ?? existing?.sources ?? ['payment', 'autopay'],
      timeout_ms: input.timeoutMs ?? existing?.timeout_ms ?? 10_000,
      lookup_by_reference: input.lookupByReference ?? existing?.lookup_by_reference ?? false,
      updated_by: actor.label,
      updated_at: new Date(),
    };
    await tx
      .insertInto('ams_receipt_connectors')
      .values({ agency_id: actor.agencyId, ...values })
      .onConflict((oc) => oc.column('agency_id').doUpdateSet(values))
      .execute();
    await audit(
      tx,
      actor,
      'ams360_receipts.connector_saved',
      { type: 'agency', id: actor.agencyId },
      {
        baseUrl: values.base_url,
        enabled: values.enabled,
        sources: values.sources,
        authHeaderName: values.auth_header_name,
      },
    );
    return getAmsReceiptConnector(tx, actor);
  });
}

export async function amsEndpoint(db: Db | Tx, agencyId: string): Promise<AmsEndpoint | null> {
  const row = await db
    .selectFrom('ams_receipt_connectors')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    enabled: row.enabled,
    baseUrl: row.base_url,
    authHeader:
      row.auth_header_name && row.auth_header_value
        ? { name: row.auth_header_name, value: openSecret(row.auth_header_value, secretContext.amsAuth(agencyId)) }
        : null,
    timeoutMs: row.timeout_ms,
    lookupByReference: row.lookup_by_reference,
  };
}
