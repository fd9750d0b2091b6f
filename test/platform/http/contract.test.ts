import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../../support/db.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

function assertProblem(res: { status: number; headers: Headers; body: any }, status: number, path?: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
  assert.match(res.body.type, /^https:\/\//);
  if (path)
    assert.ok(
      res.body.errors.some((e: { path: string }) => e.path === path),
      JSON.stringify(res.body.errors),
    );
}

for (const target of databaseTargets()) {
  describe(`HTTP contract on ${target}`, () => {
    let server: TestServer;
    let api: ApiClient;

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
    });
    after(async () => server.close());

    it('reports health without auth', async () => {
      const res = await apiClient(server.url).get('/api/v1/health');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok', database: target });
    });

    it('serves the OpenAPI 3.1 document and the reference page', async () => {
      const doc = await apiClient(server.url).get('/api/openapi.json');
      assert.equal(doc.status, 200);
      assert.equal(doc.body.openapi, '3.1.0');
      for (const path of ['/api/v1/customers', '/api/v1/policies/{policyNumber}/transitions', '/api/v1/invoices']) {
        assert.ok(doc.body.paths[path], `${path} is documented`);
      }
      const docs = await fetch(`${server.url}/api/docs/`);
      assert.equal(docs.status, 200);
      assert.match(await docs.text(), /<html/i);
    });

    it('requires auth (401) and rejects a bad key', async () => {
      assertProblem(await apiClient(server.url).get('/api/v1/customers'), 401);
      assertProblem(await apiClient(server.url, 'pp_live_nope').get('/api/v1/customers'), 401);
    });

    it('creates a customer with an assigned number, reads it, and refuses a duplicate (409)', async () => {
      const created = await api.post('/api/v1/customers', {
        type: 'individual',
        name: 'Ana Ruiz',
        email: 'ana@example.com',
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.name, 'Ana Ruiz');
      assert.ok(created.body.customerNumber > server.seeded.customerNumber);
      const read = await api.get(`/api/v1/customers/${created.body.customerNumber}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.email, 'ana@example.com');
      const explicit = await api.post('/api/v1/customers', {
        customerNumber: 7001,
        type: 'group',
        name: 'Acme Co',
      });
      assert.equal(explicit.status, 201);
      assert.equal(explicit.body.customerNumber, 7001);
      assertProblem(
        await api.post('/api/v1/customers', { customerNumber: 7001, type: 'group', name: 'Again' }),
        409,
        'customerNumber',
      );
    });

    it('404s an unknown customer and rejects unknown fields and bad values naming the field', async () => {
      assertProblem(await api.get('/api/v1/customers/999999'), 404);
      assertProblem(
        await api.post('/api/v1/customers', { type: 'individual', name: 'X', nickname: 'x' }),
        400,
        'nickname',
      );
      assertProblem(await api.post('/api/v1/customers', { type: 'person', name: 'X' }), 400, 'type');
      assertProblem(
        await api.post('/api/v1/customers', { type: 'individual', name: 'X', email: 'nope' }),
        400,
        'email',
      );
      assertProblem(await api.post('/api/v1/customers', '{not json'), 400);
      assertProblem(await api.get('/api/v1/customers/abc'), 400, 'params/customerNumber');
    });

    it('adds contacts, the first one primary', async () => {
      const number = server.seeded.customerNumber;
      const first = await api.post(`/api/v1/customers/${number}/contacts`, {
        name: 'Jane Smith',
        email: 'jane@example.com',
      });
      assert.equal(first.status, 201);
      assert.equal(first.body.primary, true);
      const second = await api.post(`/api/v1/customers/${number}/contacts`, {
        name: 'John Smith',
        primary: true,
      });
      assert.equal(second.body.primary, true);
      const list = await api.get(`/api/v1/customers/${number}/contacts`);
      assert.deepEqual(
        list.body.data.map((c: { name: string; primary: boolean }) => [c.name, c.primary]),
        [
          ['John Smith', true],
          ['Jane Smith', false],
        ],
      );
      assertProblem(await api.post('/api/v1/customers/424242/contacts', { name: 'Nobody' }), 404);
    });

    it('creates invoices, refuses 3 decimals and duplicates, and shows the account from the ledger', async () => {
      const customer = await api.post('/api/v1/customers', { type: 'individual', name: 'Bo Chen' });
      const number = customer.body.customerNumber;
      assertProblem(
        await api.post('/api/v1/invoices', { customerNumber: number, dueDate: '2026-12-01', amount: 10.555 }),
        400,
        'amount',
      );
      assertProblem(
        await api.post('/api/v1/invoices', { customerNumber: number, dueDate: '2026-12-01', amount: -1 }),
        400,
        'amount',
      );
      assertProblem(
        await api.post('/api/v1/invoices', { customerNumber: number, dueDate: '2026-02-30', amount: 1 }),
        400,
        'dueDate',
      );
      assertProblem(
        await api.post('/api/v1/invoices', { customerNumber: 987654, dueDate: '2026-12-01', amount: 1 }),
        422,
        'customerNumber',
      );
      const invoice = await api.post('/api/v1/invoices', {
        customerNumber: number,
        invoiceNumber: 88001,
        dueDate: '2026-12-01',
        amount: 250.1,
      });
      assert.equal(invoice.status, 201);
      assert.deepEqual(
        { amount: invoice.body.amount, balance: invoice.body.balance, status: invoice.body.status },
        { amount: 250.1, balance: 250.1, status: 'open' },
      );
      assertProblem(
        await api.post('/api/v1/invoices', {
          customerNumber: number,
          invoiceNumber: 88001,
          dueDate: '2026-12-01',
          amount: 1,
        }),
        409,
        'invoiceNumber',
      );
      await api.post('/api/v1/invoices', { customerNumber: number, dueDate: '2027-01-01', amount: 49.9 });
      const account = await api.get(`/api/v1/customers/${number}/account`);
      assert.equal(account.status, 200);
      assert.equal(account.body.arBalance, 300);
      assert.equal(account.body.onAccount, 0);
      assert.deepEqual(
        account.body.invoices.map((i: { invoiceNumber: number; balance: number }) => i.balance),
        [250.1, 49.9],
      );
      const read = await api.get('/api/v1/invoices/88001');
      assert.equal(read.body.customerNumber, number);
      assert.equal(read.body.autopayTime, null);
      const patched = await api.patch('/api/v1/invoices/88001', { suppressAutopay: true });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.suppressAutopay, true);
      assertProblem(await api.patch('/api/v1/invoices/88001', { suppressAutopay: 'yes' }), 400, 'suppressAutopay');
    });

    it('creates plans and policies, moves them through the lifecycle and bills them', async () => {
      const plan = await api.post('/api/v1/installment-plans', {
        name: 'Quarterly',
        installments: 4,
        frequency: 'quarterly',
        autopayLeadDays: 5,
      });
      assert.equal(plan.status, 201);
      assert.equal(plan.body.autopayLeadDays, 5);
      assertProblem(
        await api.post('/api/v1/installment-plans', {
          name: 'Quarterly',
          installments: 4,
          frequency: 'quarterly',
        }),
        409,
        'name',
      );
      const body = {
        customerNumber: server.seeded.customerNumber,
        policyNumber: 'HO-1001',
        lineOfBusiness: 'Homeowners',
        effectiveDate: '2026-01-15',
        expirationDate: '2027-01-15',
        premium: 1000.01,
        installmentPlan: 'Quarterly',
      };
      assertProblem(await api.post('/api/v1/policies', { ...body, status: 'canceled' }), 400, 'status');
      const policy = await api.post('/api/v1/policies', { ...body, status: 'active' });
      assert.equal(policy.status, 201);
      assert.equal(policy.body.status, 'active');
      assertProblem(await api.post('/api/v1/policies', body), 409, 'policyNumber');
      assertProblem(
        await api.post('/api/v1/policies', { ...body, policyNumber: 'X-1', installmentPlan: 'Nope' }),
        422,
        'installmentPlan',
      );

      const billed = await api.post('/api/v1/policies/HO-1001/bill');
      assert.equal(billed.status, 201);
      assert.deepEqual(
        billed.body.installments.map((i: { dueDate: string; amount: number }) => [i.dueDate, i.amount]),
        [
          ['2026-01-15', 250.01],
          ['2026-04-15', 250],
          ['2026-07-15', 250],
          ['2026-10-15', 250],
        ],
      );
      assertProblem(await api.post('/api/v1/policies/HO-1001/bill'), 409);
      const firstInvoice = await api.get(`/api/v1/invoices/${billed.body.installments[0].invoiceNumber}`);
      assert.equal(firstInvoice.body.policyNumber, 'HO-1001');
      assert.equal(firstInvoice.body.balance, 250.01);

      const pending = await api.post('/api/v1/policies/HO-1001/transitions', {
        to: 'cancellation_pending',
        reason: 'non_pay',
      });
      assert.equal(pending.status, 200);
      assert.equal(pending.body.cancellationReason, 'non_pay');
      const illegal = await api.post('/api/v1/policies/HO-1001/transitions', { to: 'expired' });
      assertProblem(illegal, 409);
      assert.match(illegal.body.detail, /cancellation_pending to expired/);
      const canceled = await api.post('/api/v1/policies/HO-1001/transitions', {
        to: 'canceled',
        effectiveDate: '2026-11-11',
      });
      assert.equal(canceled.body.status, 'canceled');
      assert.equal(canceled.body.cancellationEffectiveDate, '2026-11-11');
      const reinstated = await api.post('/api/v1/policies/HO-1001/transitions', { to: 'active' });
      assert.equal(reinstated.body.cancellationEffectiveDate, null);
      assertProblem(await api.post('/api/v1/policies/NOPE/transitions', { to: 'active' }), 404);

      const tagged = await api.post('/api/v1/policies/HO-1001/tags', { tag: 'poor_payment_history' });
      assert.deepEqual(tagged.body.tags, ['poor_payment_history']);
      const untagged = await api.delete('/api/v1/policies/HO-1001/tags/poor_payment_history');
      assert.deepEqual(untagged.body.tags, []);
      assertProblem(await api.delete('/api/v1/policies/HO-1001/tags/poor_payment_history'), 404);
      const read = await api.get('/api/v1/policies/HO-1001');
      assert.equal(read.body.premium, 1000.01);
      assert.equal(read.body.installmentPlan, 'Quarterly');
    });

    it('creates banks and API keys limited to banks; revokes keys; agents cannot create keys', async () => {
      const bank = await api.post('/api/v1/banks', {
        shortName: 'OPER',
        name: 'Operating Account',
        division: 'Main',
      });
      assert.equal(bank.status, 201);
      assert.equal(bank.body.division, 'Main');
      assertProblem(
        await api.post('/api/v1/banks', { shortName: 'OPER', name: 'Again', division: 'Main' }),
        409,
        'shortName',
      );
      assertProblem(await api.post('/api/v1/api-keys', { name: 'x', role: 'agent', banks: ['NOPE'] }), 422);
      const key = await api.post('/api/v1/api-keys', { name: 'lockbox', role: 'agent', banks: ['OPER'] });
      assert.equal(key.status, 201);
      assert.deepEqual(key.body.banks, ['OPER']);
      assert.match(key.body.key, /^pp_live_/);
      const agentApi = apiClient(server.url, key.body.key);
      assert.equal((await agentApi.get('/api/v1/customers')).status, 200);
      assertProblem(await agentApi.post('/api/v1/api-keys', { name: 'y', role: 'staff' }), 403);
      assert.equal((await api.delete(`/api/v1/api-keys/${key.body.id}`)).status, 204);
      assertProblem(await agentApi.get('/api/v1/customers'), 401);
      assertProblem(await api.delete(`/api/v1/api-keys/${key.body.id}`), 404);
    });

    it('signs a user in with a cookie session and out again', async () => {
      const anon = apiClient(server.url);
      assertProblem(await anon.post('/api/v1/session', { email: server.staff.email, password: 'wrong' }), 401);
      const signedIn = await anon.post('/api/v1/session', server.staff);
      assert.equal(signedIn.status, 200);
      assert.equal(signedIn.body.user.role, 'staff');
      const cookie = signedIn.headers.get('set-cookie') ?? '';
      assert.match(cookie, /pp_session=.+HttpOnly/i);
      const session = cookie.split(';')[0]!;
      const me = await anon.get('/api/v1/me', { cookie: session });
      assert.equal(me.status, 200);
      assert.equal(me.body.agency.name, server.agencyName);
      const customers = await anon.get('/api/v1/customers', { cookie: session });
      assert.equal(customers.status, 200);
      assert.equal((await anon.delete('/api/v1/session', { cookie: session })).status, 204);
      assertProblem(await anon.get('/api/v1/me', { cookie: session }), 401);
    });

    it('answers unknown routes with problem+json', async () => {
      assertProblem(await api.get('/api/v1/nothing-here'), 404);
    });
  });
}
