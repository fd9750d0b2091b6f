import { isTestModeChoice, type ProcessorKind } from '../agency/rules/processor-keys.ts';
import { openSecret, secretContext } from '../agency/secrets/stored-secrets.ts';
import { isUuid } from '../kernel/ids.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import { isTestMode, ProcessorRegistry, sandboxProcessor, stripeProcessor } from './processor-registry.ts';
import type { PaymentProcessor, Processors } from './processors/processor.ts';

interface Built {
  /** The stored row as read (its sealed values change with every save): a different stamp, a stale entry. */
  stamp: string;
  processors: Processors;
  testMode: boolean;
}

// Per registry (one per app or worker), so two test apps in one process never share adapters.
const caches = new WeakMap<Processors, Map<string, Built>>();

/**
 * The processors an agency's payments use: its own choice (agency_processors), else the process
 * default. One indexed read per call; the adapters are built once per stored row and kept until the
 * row changes — every save seals the secrets anew, so a change made by another process (the web
 * server, while this is a worker) is seen at the next payment without any message between them.
 */
export async function agencyProcessors(db: Db | Tx, processors: Processors, agencyId: string): Promise<Processors> {
  return (await resolve(db, processors, agencyId)).processors;
}

/**
 * The processor an agency's payments go to and whether that is test mode (the console's and the
 * portal's banner): the sandbox, or its own Stripe test key (sk_test_). Without an agency (nobody
 * signed in) or its own choice, the process default, where only the sandbox is test mode.
 */
export async function agencyProcessorStatus(
  db: Db | Tx,
  processors: Processors,
  agencyId: string | undefined,
): Promise<{ processor: PaymentProcessor | undefined; testMode: boolean }> {
  const resolved = agencyId ? await resolve(db, processors, agencyId) : undefined;
  const own = resolved?.processors ?? processors;
  return { processor: [...own.values()][0], testMode: resolved?.testMode ?? isTestMode(processors) };
}

async function resolve(db: Db | Tx, processors: Processors, agencyId: string): Promise<Omit<Built, 'stamp'>> {
  const row = await db
    .selectFrom('agency_processors')
    .select(['kind', 'secret_key', 'webhook_secret', 'updated_at'])
    .where('agency_id', '=', agencyId)
    .executeTakeFirst();
  if (!row) return { processors, testMode: isTestMode(processors) };
  let cache = caches.get(processors);
  if (!cache) {
    cache = new Map();
    caches.set(processors, cache);
  }
  const stamp = [row.kind, row.updated_at.toISOString(), row.secret_key, row.webhook_secret].join('|');
  const hit = cache.get(agencyId);
  if (hit?.stamp === stamp) return hit;
  const built = new Map<string, PaymentProcessor>();
  let secretKey: string | undefined;
  const options = processors instanceof ProcessorRegistry ? processors.agencyOptions : undefined;
  if (row.kind === 'sandbox') {
    // The sandbox takes no money: the process's own when it runs one, else one at POLICYPAY_SANDBOX_URL.
    const sandbox = processors.get('sandbox') ?? (options ? sandboxProcessor(options) : undefined);
    if (sandbox) built.set('sandbox', sandbox);
  } else if (row.kind === 'stripe' && row.secret_key) {
    secretKey = openSecret(row.secret_key, secretContext.processorSecretKey(agencyId));
    const webhookSecret = row.webhook_secret
      ? openSecret(row.webhook_secret, secretContext.processorWebhook(agencyId))
      : undefined;
    built.set('stripe', stripeProcessor(options ?? { sandboxWebhookSecret: '' }, secretKey, webhookSecret));
  }
  const entry = { stamp, processors: built, testMode: isTestModeChoice(row.kind as ProcessorKind, secretKey) };
  cache.set(agencyId, entry);
  return entry;
}

/**
 * The agency a per-agency webhook URL names (its slug or id) and its own Stripe processor, whose
 * signing secret verifies the event. Undefined unless the agency chose its own Stripe account:
 * events of the process's account come to /webhooks/stripe.
 */
export async function agencyStripeEndpoint(
  db: Db,
  processors: Processors,
  ref: string,
): Promise<{ agencyId: string; processor: PaymentProcessor } | undefined> {
  const agency = await db
    .selectFrom('agencies')
    .select('id')
    .where(isUuid(ref) ? 'id' : 'slug', '=', ref)
    .executeTakeFirst();
  if (!agency) return undefined;
  const processor = (await agencyProcessors(db, processors, agency.id)).get('stripe');
  if (!processor || processor === processors.get('stripe')) return undefined;
  return { agencyId: agency.id, processor };
}

/** Drops an agency's built processors at once (the save in this process; others see the new row). */
export function forgetAgencyProcessors(processors: Processors, agencyId: string): void {
  caches.get(processors)?.delete(agencyId);
}
