import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createCustomer } from '../../src/customers/customers.ts';
import { type ProcessorSetup, setupProcessors } from '../../src/platform/cli/processors.ts';
import { loadConfig } from '../../src/platform/config.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { apiClient } from '../support/http.ts';
import { buildTestApp } from '../support/openapi.ts';
import { FAKE_SECRET_KEY } from './processors/fake-stripe.ts';

// The processor is per process, not per database: these run on PGlite only (the database plays no part).
describe('the sandbox runs only when chosen, and says so', () => {
  const open: { app?: App; database?: DatabaseHandle; payments?: ProcessorSetup }[] = [];
  after(async () => {
    for (const o of open) {
      await o.app?.close();
      await o.payments?.close();
      await o.database?.close();
    }
  });

  async function serve(
    env: Record<string, string>,
  ): Promise<{ url: string; payments: ProcessorSetup; agency: TestAgency; database: DatabaseHandle }> {
    const config = loadConfig({ DATABASE_URL: 'memory://', POLICYPAY_SANDBOX_PORT: '0', ...env });
    // As `serve` calls it: start the in-process sandbox if this configuration runs one.
    const payments = await setupProcessors(config, { startSandbox: true, webhookBaseUrl: 'http://127.0.0.1:9' });
    const database = await openTestDatabase('pglite');
    const app = await buildTestApp({ database, processors: payments.processors });
    open.push({ app, database, payments });
    const agency = await createTestAgency(database.db, 'Processor Mode Agency');
    return { url: await app.listen({ port: 0, host: '127.0.0.1' }), payments, agency, database };
  }

  it('with STRIPE_SECRET_KEY set: no sandbox started, accepted, or offered to the portal; not test mode', async () => {
    const { url, payments, agency, database } = await serve({ STRIPE_SECRET_KEY: FAKE_SECRET_KEY });
    assert.equal(payments.sandbox, undefined, 'no in-process sandbox');
    assert.deepEqual([...payments.processors.keys()], ['stripe']);
    const api = apiClient(url, agency.apiKey);

    const config = await api.get('/api/v1/portal/config');
    assert.deepEqual(config.body, { processor: 'stripe', tokenizeUrl: null, testMode: false });
    assert.deepEqual((await api.get('/api/v1/system')).body, { processor: 'stripe', testMode: false });

    const webhook = await api.post('/api/v1/webhooks/sandbox', { id: 'evt_1', type: 'payment.settled' });
    assert.equal(webhook.status, 404);
    const customer = await createCustomer(database.db, agency.actor, { type: 'individual', name: 'Ann Live' });
    const method = await api.post(`/api/v1/customers/${customer.customerNumber}/payment-methods`, {
      processor: 'sandbox',
      token: 'tok_sandbox_visa',
    });
    assert.equal(method.status, 422, JSON.stringify(method.body));
    assert.equal(method.body.errors[0].path, 'processor');
  });

  it('without a production processor: the sandbox runs, and the console and portal are told it is test mode', async () => {
    const { url, payments, agency } = await serve({});
    assert.ok(payments.sandbox, 'the in-process sandbox started');
    const api = apiClient(url, agency.apiKey);
    const config = await api.get('/api/v1/portal/config');
    assert.equal(config.body.processor, 'sandbox');
    assert.equal(config.body.tokenizeUrl, `${payments.sandbox.url}/v1/tokens`);
    assert.equal(config.body.testMode, true);
    assert.deepEqual((await api.get('/api/v1/system')).body, { processor: 'sandbox', testMode: true });
  });

  it('refuses a contradictory choice at start-up', async () => {
    await assert.rejects(
      serve({ POLICYPAY_PROCESSOR: 'sandbox', STRIPE_SECRET_KEY: FAKE_SECRET_KEY }),
      /never runs beside a production processor/,
    );
    await assert.rejects(
      serve({ POLICYPAY_PROCESSOR: 'stripe' }),
      /POLICYPAY_PROCESSOR=stripe needs STRIPE_SECRET_KEY/,
    );
  });
});
