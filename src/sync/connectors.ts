import { randomBytes } from 'node:crypto';
import { mapAuthValue, openSecret, sealSecret, secretContext } from '../agency/secrets/stored-secrets.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { assertConnectorUrlAllowed } from '../platform/outbound.ts';
import type { Connector } from './connectors/connector.ts';
import { RestConnector } from './connectors/rest-connector.ts';
import { type RestMapping, type RestMappingInput, restMappingSchema } from './connectors/rest-mapping.ts';
import type { SyncSystem } from './rules/records.ts';

export interface ConnectorInput {
  kind: 'rest';
  mapping: RestMappingInput;
  enabled?: boolean | undefined;
  /** Shared secret for inbound webhooks; generated when absent on first configuration. */
  webhookSecret?: string | undefined;
}

export interface ConnectorView {
  system: SyncSystem;
  kind: 'rest';
  enabled: boolean;
  /** The mapping with the auth header's value withheld. */
  mapping: RestMapping;
  /** Shown only by the configuration that generated it (like an API key); null otherwise. */
  webhookSecret: string | null;
  webhookSecretSet: boolean;
  updatedAt: Date;
}

/** Configures (or replaces) the agency's connector for one system role. */
export async function configureConnector(
  db: Db | Tx,
  actor: Actor,
  system: SyncSystem,
  input: ConnectorInput,
): Promise<ConnectorView> {
  const parsed = restMappingSchema.safeParse(input.mapping);
  if (!parsed.success) {
    throw new DomainError('validation_failed', 'the connector mapping is not valid', {
      errors: parsed.error.issues.map((issue) => ({
        path: ['mapping', ...issue.path.map(String)].join('/'),
        message: issue.message,
      })),
    });
  }
  await assertConnectorUrlAllowed(parsed.data.baseUrl, 'mapping/baseUrl');
  return inTransaction(db, async (tx) => {
    const existing = await tx
      .selectFrom('sync_connectors')
      .select('webhook_secret')
      .where('agency_id', '=', actor.agencyId)
      .where('system', '=', system)
      .executeTakeFirst();
    const webhookContext = secretContext.syncWebhook(actor.agencyId, system);
    const generated =
      input.webhookSecret || existing?.webhook_secret ? undefined : randomBytes(24).toString('base64url');
    const secret = input.webhookSecret ?? generated;
    const values = {
      kind: input.kind,
      config: JSON.stringify(
        mapAuthValue(parsed.data, (value) => sealSecret(value, secretContext.syncAuth(actor.agencyId, system))),
      ),
      webhook_secret: secret === undefined ? (existing?.webhook_secret ?? null) : sealSecret(secret, webhookContext),
      enabled: input.enabled ?? true,
    };
    const row = await tx
      .insertInto('sync_connectors')
      .values({ agency_id: actor.agencyId, system, ...values })
      .onConflict((oc) => oc.columns(['agency_id', 'system']).doUpdateSet({ ...values, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'sync.connector_configured', { type: 'sync_connector', id: system }, { kind: input.kind });
    return { ...view(row), webhookSecret: generated ?? null };
  });
}

export async function listConnectors(db: Db, actor: Actor): Promise<ConnectorView[]> {
  const rows = await db
    .selectFrom('sync_connectors')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .orderBy('system')
    .execute();
  return rows.map(view);
}

export interface LoadedConnector {
  connector: Connector;
  webhookSecret: string | null;
  mapping: RestMapping;
}

/** The agency's enabled connector for `system`, or null when none is configured. */
export async function loadConnector(
  db: Db | Tx,
  agencyId: string,
  system: SyncSystem,
): Promise<LoadedConnector | null> {
  const row = await db
    .selectFrom('sync_connectors')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('system', '=', system)
    .where('enabled', '=', true)
    .executeTakeFirst();
  if (!row) return null;
  const mapping = restMappingSchema.parse(
    mapAuthValue(row.config as object, (value) => openSecret(value, secretContext.syncAuth(agencyId, system))),
  );
  const webhookSecret =
    row.webhook_secret && openSecret(row.webhook_secret, secretContext.syncWebhook(agencyId, system));
  return { connector: new RestConnector(mapping), webhookSecret, mapping };
}

export async function requireConnector(db: Db | Tx, agencyId: string, system: SyncSystem): Promise<LoadedConnector> {
  const loaded = await loadConnector(db, agencyId, system);
  if (!loaded) throw new DomainError('not_found', `no ${system} connector is configured for this agency`);
  return loaded;
}

function view(row: {
  system: SyncSystem;
  kind: 'rest';
  enabled: boolean;
  config: unknown;
  webhook_secret: string | null;
  updated_at: Date;
}): ConnectorView {
  // The auth value is masked before parsing: the stored one is ciphertext, longer than the mapping allows.
  const mapping = restMappingSchema.parse(mapAuthValue(row.config as object, () => '********'));
  return {
    system: row.system,
    kind: row.kind,
    enabled: row.enabled,
    mapping,
    webhookSecret: null,
    webhookSecretSet: row.webhook_secret !== null,
    updatedAt: row.updated_at,
  };
}
