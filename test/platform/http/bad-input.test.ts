import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../../support/db.ts';
import { apiClient } from '../../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld, tokenizeCard } from '../../support/payments.ts';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

function assertProblem(res: Answer, status: number, path?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(typeof res.body.title, 'string');
  assert.match(res.body.type, /^https:\/\/policypay\.dev\/problems\//);
  if (path) {
    assert.ok(
      res.body.errors?.some((e: { path: string }) => e.path === path),
      `${path} in ${JSON.stringify(res.body.errors)}`,
    );
  }
}

/** Sends bytes as they are (fetch would refuse or repair them) and parses the HTTP answer. */
function rawRequest(url: string, request: string): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      const raw = rest.join('\r\n\r\n');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // not JSON: keep the text
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

for (const target of databaseTargets()) {
  describe(`bad input on ${target}`, () => {
    let world: PaymentsWorld;
    const count = async (table: 'customers' | 'invoices' | 'sessions' | 'idempotency_keys') =>
      Number(
        (await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(table)}`.execute(world.database.db))
          .rows[0]!.n,
      );

    before(async () => {
      world = await startPaymentsWorld(target);
    });
    after(async () => world.close());

    describe('NUL and lone surrogates, in any string, answer 400 naming the field and write nothing', () => {
      it('in the JSON body of a route that needs no credentials', async () => {
        const anonymous = apiClient(world.url);
        const sessions = await count('sessions');
        assertProblem(
          await anonymous.post('/api/v1/session', { email: 'a\u0000@example.com', password: 'x' }),
          400,
          'email',
        );
        assertProblem(
          await anonymous.post('/api/v1/portal/sign-in-link', {
            agency: world.agency.slug,
            email: 'b\u0000@example.com',
          }),
          400,
          'email',
        );
        assert.equal(await count('sessions'), sessions);
      });

      it('in a nested field, a query, a path parameter and a cookie', async () => {
        const customers = await count('customers');
        const nested = await world.api.post('/api/v1/customers', {
          type: 'individual',
          name: 'Nul Address',
          address: { line1: 'Main St\u0000', city: 'Austin' },
        });
        assertProblem(nested, 400, 'address/line1');
        assertProblem(await world.api.get('/api/v1/customers?search=a%00b'), 400, 'querystring/search');
        assertProblem(await world.api.get('/api/v1/policies/P%00X'), 400, 'params/policyNumber');
        assertProblem(
          await apiClient(world.url).get('/api/v1/me', { cookie: 'pp_session=abc%00def' }),
          400,
          'cookie/pp_session',
        );
        assert.equal(await count('customers'), customers);
      });

      it('with an Idempotency-Key: refused before the key is claimed or the answer stored', async () => {
        const keys = await count('idempotency_keys');
        const res = await world.api.post(
          '/api/v1/customers',
          { type: 'individual', name: 'Nul\u0000Name' },
          { 'idempotency-key': 'nul-name-1' },
        );
        assertProblem(res, 400, 'name');
        assert.equal(await count('idempotency_keys'), keys);
      });

      it('refuses a lone surrogate instead of storing U+FFFD in its place', async () => {
        const customers = await count('customers');
        // JSON may escape a lone surrogate; JSON.stringify would repair it, so the body is written by hand.
        const res = await world.api.post('/api/v1/customers', '{"type":"individual","name":"Zo\\ud800e"}');
        assertProblem(res, 400, 'name');
        assert.match(res.body.errors[0].message, /Unicode/);
        assert.equal(await count('customers'), customers);
      });
    });

    describe('automatic numbering never passes what the column holds', () => {
      it('hands out free customer numbers after a client took 2147483647', async () => {
        const top = await world.api.post('/api/v1/customers', {
          type: 'individual',
          name: 'Top Number',
          customerNumber: 2_147_483_647,
        });
        assert.equal(top.status, 201, JSON.stringify(top.body));
        const numbers = new Set<number>();
        for (const name of ['After Top', 'After Top Again']) {
          const next = await world.api.post('/api/v1/customers', { type: 'individual', name });
          assert.equal(next.status, 201, JSON.stringify(next.body));
          assert.ok(
            next.body.customerNumber >= 1 && next.body.customerNumber < 2_147_483_647,
            `${next.body.customerNumber}`,
          );
          numbers.add(next.body.customerNumber);
        }
        assert.equal(numbers.size, 2);
        assertProblem(
          await world.api.post('/api/v1/customers', {
            type: 'individual',
            name: 'Past',
            customerNumber: 2_147_483_648,
          }),
          400,
          'customerNumber',
        );
      });

      it('does the same for invoice numbers', async () => {
        const customer = await world.api.post('/api/v1/customers', { type: 'individual', name: 'Invoice Top' });
        const customerNumber = customer.body.customerNumber;
        const top = await world.api.post('/api/v1/invoices', {
          customerNumber,
          invoiceNumber: 2_147_483_647,
          dueDate: '2026-12-01',
          amount: 10,
        });
        assert.equal(top.status, 201, JSON.stringify(top.body));
        const next = await world.api.post('/api/v1/invoices', { customerNumber, dueDate: '2026-12-01', amount: 10 });
        assert.equal(next.status, 201, JSON.stringify(next.body));
        assert.ok(next.body.invoiceNumber < 2_147_483_647);
      });
    });

    describe('what the router and the HTTP parser refuse is problem+json too', () => {
      const get = (path: string, headers = '') =>
        rawRequest(world.url, `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`);

      it('answers an undecodable path 400', async () => {
        assertProblem(await get('/api/v1/policies/%zz'), 400, 'url');
        assertProblem(await get('/api/v1/customers/%E0%A4%A'), 400, 'url');
      });

      it('answers an overlong path parameter and an overlong URL 414', async () => {
        assertProblem(await get(`/api/v1/policies/${'p'.repeat(500)}`), 414, 'url');
        assertProblem(await get(`/api/v1/customers?search=${'s'.repeat(20_000)}`), 414, 'url');
      });

      it('answers oversized headers 431 and malformed HTTP 400', async () => {
        assertProblem(await get('/api/v1/health', `X-Big: ${'h'.repeat(20_000)}\r\n`), 431);
        assertProblem(await rawRequest(world.url, 'NONSENSE\r\n\r\n'), 400, 'request');
        assertProblem(await get('/api/v1/health', 'X-Nul: a\u0000b\r\n'), 400);
      });
    });

    it('stores a keyed answer as the client receives it (a cancelled payment, with bigint cents inside)', async () => {
      const customer = await world.api.post('/api/v1/customers', { type: 'individual', name: 'Keyed Cancel' });
      const customerNumber = customer.body.customerNumber;
      const invoice = await world.api.post('/api/v1/invoices', { customerNumber, dueDate: '2026-12-01', amount: 25 });
      const method = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      const payment = await world.api.post(
        '/api/v1/payments',
        {
          customerNumber,
          type: 'card',
          amount: 25,
          paymentMethodId: method.body.id,
          targets: [{ invoiceNumber: invoice.body.invoiceNumber, amount: 25 }],
          channel: 'secure_checkout',
        },
        { 'idempotency-key': 'keyed-payment-1' },
      );
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      const cancel = () =>
        world.api.post(`/api/v1/payments/${payment.body.id}/cancel`, undefined, {
          'idempotency-key': 'keyed-cancel-1',
        });
      const first = await cancel();
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.state, 'cancelled');
      const replay = await cancel();
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, first.body);
      assert.equal('amountCents' in replay.body, false);
    });
  });
}
