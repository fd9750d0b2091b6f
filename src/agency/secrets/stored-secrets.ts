import type { Db } from '../../platform/db/transaction.ts';
import { isEncrypted, type Keyring, keyring } from './secret-box.ts';

/** Where each stored secret lives: the context its ciphertext is bound to. */
export const secretContext = {
  syncWebhook: (agencyId: string, system: string) => `sync_connectors:${agencyId}:${system}:webhook_secret`,
  syncAuth: (agencyId: string, system: string) => `sync_connectors:${agencyId}:${system}:auth`,
  amsAuth: (agencyId: string) => `ams_receipt_connectors:${agencyId}:auth_header_value`,
  processorSecretKey: (agencyId: string) => `agency_processors:${agencyId}:secret_key`,
  processorWebhook: (agencyId: string) => `agency_processors:${agencyId}:webhook_secret`,
};

export const sealSecret = (plaintext: string, context: string): string => keyring().encrypt(plaintext, context);
export const openSecret = (stored: string, context: string): string => keyring().decrypt(stored, context);

type Config = Record<string, unknown> & { auth?: { header: string; value: string } | undefined };

/** The stored connector mapping with its auth value sealed (or opened): the rest stays readable. */
export function mapAuthValue<T extends object>(config: T, map: (value: string) => string): T {
  const auth = (config as Config).auth;
  if (!auth || typeof auth.value !== 'string') return config;
  return { ...config, auth: { ...auth, value: map(auth.value) } };
}

export interface SecretSweep {
  /** Plaintext values found and encrypted (rows written before encryption at rest). */
  encrypted: number;
  /** Values moved from an older key to the primary one. */
  rotated: number;
  /** Values already under the primary key. */
  unchanged: number;
}

/**
 * Encrypts every stored secret still in clear and checks that every encrypted one opens with the
 * configured keys (a wrong key fails here, at start-up, not at the first webhook). With `rotate`,
 * values under an older key are re-encrypted under the primary one. Idempotent; one transaction.
 * `dryRun` (`policypay doctor`) counts and checks the same way and writes nothing.
 */
export async function sweepStoredSecrets(
  db: Db,
  options: { rotate: boolean; keys?: Keyring | undefined; dryRun?: boolean },
): Promise<SecretSweep> {
  const keys = options.keys ?? keyring();
  const sweep: SecretSweep = { encrypted: 0, rotated: 0, unchanged: 0 };
  const reseal = (stored: string, context: string): string | undefined => {
    if (!isEncrypted(stored)) {
      sweep.encrypted++;
      return keys.encrypt(stored, context);
    }
    const plaintext = keys.decrypt(stored, context);
    if (options.rotate && keys.needsRotation(stored)) {
      sweep.rotated++;
      return keys.encrypt(plaintext, context);
    }
    sweep.unchanged++;
    return undefined;
  };
  await db.transaction().execute(async (tx) => {
    const syncRows = await tx
      .selectFrom('sync_connectors')
      .select(['agency_id', 'system', 'config', 'webhook_secret'])
      .forUpdate()
      .execute();
    for (const row of syncRows) {
      const webhook =
        row.webhook_secret && reseal(row.webhook_secret, secretContext.syncWebhook(row.agency_id, row.system));
      let configChanged = false;
      const config = mapAuthValue(row.config as object, (value) => {
        const next = reseal(value, secretContext.syncAuth(row.agency_id, row.system));
        if (next === undefined) return value;
        configChanged = true;
        return next;
      });
      if ((!webhook && !configChanged) || options.dryRun) continue;
      await tx
        .updateTable('sync_connectors')
        .set({
          ...(webhook ? { webhook_secret: webhook } : {}),
          ...(configChanged ? { config: JSON.stringify(config) } : {}),
        })
        .where('agency_id', '=', row.agency_id)
        .where('system', '=', row.system)
        .execute();
    }
    const amsRows = await tx
      .selectFrom('ams_receipt_connectors')
      .select(['agency_id', 'auth_header_value'])
      .where('auth_header_value', 'is not', null)
      .forUpdate()
      .execute();
    for (const row of amsRows) {
      const next = reseal(row.auth_header_value as string, secretContext.amsAuth(row.agency_id));
      if (next === undefined || options.dryRun) continue;
      await tx
        .updateTable('ams_receipt_connectors')
        .set({ auth_header_value: next })
        .where('agency_id', '=', row.agency_id)
        .execute();
    }
    const processorRows = await tx
      .selectFrom('agency_processors')
      .select(['agency_id', 'secret_key', 'webhook_secret'])
      .forUpdate()
      .execute();
    for (const row of processorRows) {
      const secretKey = row.secret_key && reseal(row.secret_key, secretContext.processorSecretKey(row.agency_id));
      const webhook = row.webhook_secret && reseal(row.webhook_secret, secretContext.processorWebhook(row.agency_id));
      if ((!secretKey && !webhook) || options.dryRun) continue;
      await tx
        .updateTable('agency_processors')
        .set({ ...(secretKey ? { secret_key: secretKey } : {}), ...(webhook ? { webhook_secret: webhook } : {}) })
        .where('agency_id', '=', row.agency_id)
        .execute();
    }
  });
  return sweep;
}
