import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { autopayPluginNames, findAutopayPlugin } from './plugins/registry.ts';
import type { AutopayPlugin } from './rules/autopay.ts';

/** Where an agency's choice of autopay plugin lives inside `agencies.settings`. */
const AUTOPAY_SETTINGS_KEY = 'autopay';

export interface AutopayPluginSetting {
  /** The plugin the agency chose; null = the process's plugin (AUTOPAY_PLUGIN, else `default`). */
  plugin: string | null;
  /** The plugins this server knows, any of which the agency may choose. */
  registered: string[];
}

async function agencyAutopayPluginName(db: Db | Tx, agencyId: string): Promise<string | null> {
  const row = await db.selectFrom('agencies').select('settings').where('id', '=', agencyId).executeTakeFirst();
  if (!row) throw notFound('agency', agencyId);
  const stored = (row.settings?.[AUTOPAY_SETTINGS_KEY] as { plugin?: unknown } | undefined)?.plugin;
  return typeof stored === 'string' ? stored : null;
}

export async function getAutopayPluginSetting(db: Db | Tx, actor: Actor): Promise<AutopayPluginSetting> {
  return { plugin: await agencyAutopayPluginName(db, actor.agencyId), registered: autopayPluginNames() };
}

/** Staff choose the agency's plugin among the registered ones (null goes back to the process's). */
export async function setAutopayPlugin(
  db: Db | Tx,
  actor: Actor,
  plugin: string | null,
): Promise<AutopayPluginSetting> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may choose the autopay plugin');
  const registered = autopayPluginNames();
  if (plugin !== null && !findAutopayPlugin(plugin)) {
    throw new DomainError(
      'unprocessable',
      `no autopay plugin named "${plugin}" is registered; registered: ${registered.join(', ')}`,
      { errors: [{ path: 'plugin', message: `must be one of the registered plugins: ${registered.join(', ')}` }] },
    );
  }
  return inTransaction(db, async (tx) => {
    const before = await agencyAutopayPluginName(tx, actor.agencyId);
    if (before !== plugin) {
      // Merged into the jsonb, so the other features' settings in the same column stay as they are.
      await tx
        .updateTable('agencies')
        .set({
          settings: sql<string>`settings || jsonb_build_object(${AUTOPAY_SETTINGS_KEY}::text, ${JSON.stringify({ plugin })}::jsonb)`,
        })
        .where('id', '=', actor.agencyId)
        .execute();
      await audit(tx, actor, 'autopay_plugin.updated', { type: 'agency', id: actor.agencyId }, { before, plugin });
    }
    return { plugin, registered };
  });
}

/**
 * The plugin a pass runs for an agency: the one it chose, else the process's. A chosen plugin this
 * process does not have (its worker started without the module) fails each firing with the reason,
 * to be retried on the retry plan — never silently replaced by another plugin that moves money.
 */
export async function agencyAutopayPlugin(
  db: Db | Tx,
  agencyId: string,
  fallback: AutopayPlugin,
): Promise<AutopayPlugin> {
  const name = await agencyAutopayPluginName(db, agencyId);
  if (name === null) return fallback;
  return (
    findAutopayPlugin(name) ??
    (async () => {
      throw new Error(`the agency's autopay plugin "${name}" is not registered in this process (AUTOPAY_PLUGINS)`);
    })
  );
}
