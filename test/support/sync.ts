import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AmsDouble } from '../../src/sync/doubles/ams-double.ts';
import { BenefitsDouble } from '../../src/sync/doubles/benefits-double.ts';
import { amsDoubleMapping, benefitsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import type { Target } from './db.ts';
import { createTestAgency, type TestAgency } from './fixtures.ts';
import { type ApiClient, apiClient } from './http.ts';
import { startTestServer, type TestServer } from './server.ts';

/**
 * Fast retries for tests: faults are injected on purpose, waiting seconds between tries proves
 * nothing. The timeout is generous: on a loaded 2-core machine a page of 1,000 accounts from a
 * double in the test's own process can take seconds, and a timeout there is the machine's speed,
 * not a fault. Tests that inject a never-answering fault choose a short one (`timing`).
 */
export const TEST_CONNECTOR_TIMING = { timeoutMs: 30_000, retries: 3, retryDelayMs: 20 };

export interface SyncWorld {
  server: TestServer;
  close(): Promise<void>;
}

export async function startSyncWorld(target: Target): Promise<SyncWorld> {
  const server = await startTestServer({ target, web: false });
  return { server, close: () => server.close() };
}

/** One agency with its own AMS and benefits doubles, connected through the API like an agency would. */
export interface SyncAgency {
  agency: TestAgency;
  api: ApiClient;
  ams: AmsDouble;
  benefits: BenefitsDouble;
  amsSecret: string;
  close(): Promise<void>;
}

export async function syncAgency(
  world: SyncWorld,
  options: {
    connectBenefitsToAms?: boolean;
    amsWebhooks?: boolean;
    autoDeliver?: boolean;
    /** The rules' pushOnCreate (default ['ams']): [] keeps customers created in policypay local. */
    pushOnCreate?: ('ams' | 'benefits' | 'crm')[];
    /** Instead of TEST_CONNECTOR_TIMING's. */
    timing?: Partial<typeof TEST_CONNECTOR_TIMING>;
  } = {},
): Promise<SyncAgency> {
  const agency = await createTestAgency(world.server.database.db, 'Sync Agency');
  const api = apiClient(world.server.url, agency.apiKey);
  const timing = { ...TEST_CONNECTOR_TIMING, ...options.timing };
  const ams = new AmsDouble();
  const benefits = new BenefitsDouble();
  await ams.start();
  await benefits.start();
  if (options.connectBenefitsToAms) benefits.ams = { url: ams.server.url, apiKey: 'ams-double-key' };
  const amsConnector = await api.put('/api/v1/sync/connectors/ams', {
    kind: 'rest',
    mapping: amsDoubleMapping(ams.server.url, timing),
  });
  assert.equal(amsConnector.status, 200, JSON.stringify(amsConnector.body));
  const benefitsConnector = await api.put('/api/v1/sync/connectors/benefits', {
    kind: 'rest',
    mapping: benefitsDoubleMapping(benefits.server.url, timing),
  });
  assert.equal(benefitsConnector.status, 200, JSON.stringify(benefitsConnector.body));
  const amsSecret = amsConnector.body.webhookSecret as string;
  if (options.pushOnCreate) {
    const rules = await api.get('/api/v1/sync/rules');
    const set = await api.put('/api/v1/sync/rules', { ...rules.body, pushOnCreate: options.pushOnCreate });
    assert.equal(set.status, 200, JSON.stringify(set.body));
  }
  if (options.amsWebhooks ?? true) {
    ams.server.setWebhook(
      { url: `${world.server.url}${amsConnector.body.webhookPath}`, secret: amsSecret },
      options.autoDeliver ?? true,
    );
  }
  return {
    agency,
    api,
    ams,
    benefits,
    amsSecret,
    async close() {
      await ams.stop();
      await benefits.stop();
    },
  };
}

/** Polls until `check` returns a value (not undefined/false) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Waits until the agency has no queued pushes (they are sent after the request that queued them). */
export async function pushesSettled(world: SyncWorld, agencyId: string): Promise<void> {
  await eventually(async () => {
    const pending = await world.server.database.db
      .selectFrom('sync_outbox')
      .select('id')
      .where('agency_id', '=', agencyId)
      .where('done_at', 'is', null)
      .execute();
    return pending.length === 0;
  }, 'queued pushes to be sent');
}
