// The customers list at an agency's size (issue 19.6): the search gathers its matches table by
// table (the index-able query), and the list pages by keyset (`after` → `nextAfter`) by customer
// number, the typed customer number first on the first page only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportCustomers } from '../../src/customers/customer-list.ts';
import { databaseTargets } from '../support/db.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type Page = { data: { customerNumber: number }[]; nextAfter: number | null };

function assertProblem(res: { status: number; headers: Headers; body: any }, status: number, path: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.ok(
    res.body.errors?.some((e: { path: string }) => e.path === path),
    `${path} not named: ${JSON.stringify(res.body)}`,
  );
}

for (const target of databaseTargets()) {
  describe(`customer search and keyset pages on ${target}`, () => {
    let server: TestServer;
    let api: ApiClient;

    const addCustomer = async (body: Record<string, unknown>) => {
      const res = await api.post('/api/v1/customers', { type: 'individual', ...body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.customerNumber as number;
    };

    const list = async (query: string): Promise<Page> => {
      const res = await api.get(`/api/v1/customers?${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as Page;
    };

    const find = async (search: string) =>
      (await list(`search=${encodeURIComponent(search)}&limit=500`)).data.map((c) => c.customerNumber);

    /** Every page of a listing, following nextAfter until null. */
    const allPages = async (query: string) => {
      const pages: number[][] = [];
      let cursor: number | null = null;
      do {
        const page = await list(`${query}${cursor === null ? '' : `&after=${cursor}`}`);
        pages.push(page.data.map((c) => c.customerNumber));
        cursor = page.nextAfter;
        assert.ok(pages.length < 100, 'the pages end');
      } while (cursor !== null);
      return pages;
    };

    let target7005: number;
    const routeCustomers = [7001, 7002, 7009, 7010, 7011];

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
      // The customer numbered 7005 (its name has the number too), and five others whose names have it.
      target7005 = await addCustomer({ customerNumber: 7005, name: 'Numbered 7005 Seventy' });
      for (const customerNumber of routeCustomers) {
        await addCustomer({ customerNumber, name: `Route 7005 Farms ${customerNumber}` });
      }
    });
    after(async () => server?.close());

    it('finds a customer by each field through the gathered matches', async () => {
      const quinn = await addCustomer({
        customerNumber: 8101,
        name: 'Quinn Zephyrwood',
        email: 'quinn.z@harbor-mail.example',
        phone: '(555) 013-7788',
      });
      const contact = await api.post(`/api/v1/customers/${quinn}/contacts`, {
        name: 'Marisol Okonkwo',
        email: 'marisol@okonkwo.example',
        phone: '555.014.2299',
      });
      assert.equal(contact.status, 201, JSON.stringify(contact.body));
      const policy = await api.post('/api/v1/policies', {
        customerNumber: quinn,
        policyNumber: 'HO-ZEPH-4410',
        lineOfBusiness: 'Homeowners',
        effectiveDate: '2026-01-01',
        expirationDate: '2027-01-01',
        premium: 1000,
      });
      assert.equal(policy.status, 201, JSON.stringify(policy.body));
      const invoice = await api.post('/api/v1/invoices', {
        customerNumber: quinn,
        invoiceNumber: 64_420,
        dueDate: '2026-12-01',
        amount: 250,
      });
      assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
      const others = await addCustomer({ customerNumber: 8102, name: 'Someone Else', phone: '555-000-1111' });

      const cases: Record<string, string> = {
        'a part of the name, any case': 'zephyr',
        'the e-mail, in part': 'HARBOR-MAIL',
        'phone digits typed with punctuation': '555-013-7788',
        'phone digits with the country code': '+1 (555) 013 7788',
        'a policy number, in part': 'zeph-44',
        'the customer number': '8101',
        'the customer number with a #': '#8101',
        "a contact's name": 'okonkwo',
        "a contact's e-mail": 'marisol@',
        "a contact's phone": '(555) 014-2299',
        'an invoice number': '64420',
        'a short term (no trigram)': 'Qu',
      };
      for (const [what, search] of Object.entries(cases)) {
        const found = await find(search);
        assert.ok(found.includes(quinn), `${what} ("${search}") finds the customer: ${found}`);
        assert.ok(!found.includes(others), `${what} ("${search}") finds only matches: ${found}`);
      }
      assert.deepEqual(await find('zephyrwoodx'), []);
      assert.deepEqual(await find('%'), [], 'a LIKE wildcard is matched as itself');
    });

    it('pages every customer once, by number, with and without a search', async () => {
      const all = (await list('limit=500')).data.map((c) => c.customerNumber);
      assert.ok(all.length >= 7);
      const expected: Record<string, number[]> = {
        '': all,
        Route: routeCustomers,
        // The typed number first, then the others by number.
        '7005': [target7005, ...routeCustomers],
      };
      assert.deepEqual(
        all,
        [...all].sort((a, b) => a - b),
        'by number',
      );
      for (const [search, want] of Object.entries(expected)) {
        for (const limit of [1, 2, 3, 5]) {
          const query = `limit=${limit}${search ? `&search=${search}` : ''}`;
          const pages = await allPages(query);
          // Every customer once, in order, full pages but the last, the typed number on the first page only.
          assert.deepEqual(pages.flat(), want, `${query}: ${JSON.stringify(pages)}`);
          assert.ok(
            pages.slice(0, -1).every((page) => page.length === limit) && pages.at(-1)!.length > 0,
            `${query}: ${JSON.stringify(pages)}`,
          );
        }
      }
      // A page that holds only the typed customer goes on from the first number.
      const first = await list('limit=1&search=7005');
      assert.deepEqual([first.data.map((c) => c.customerNumber), first.nextAfter], [[target7005], 0]);
      // The last page says so.
      assert.equal((await list('limit=500')).nextAfter, null);
    });

    it('exports a search in keyset pages smaller than its matches', async () => {
      const pages: number[][] = [];
      for await (const page of exportCustomers(server.database.db, server.agency.actor, { search: '7005' }, 2)) {
        pages.push(page.map((c) => c.customerNumber));
      }
      assert.deepEqual(pages, [
        [7001, 7002],
        [7005, 7009],
        [7010, 7011],
      ]);
    });

    it('keeps offset for older clients', async () => {
      const all = (await list('limit=500&search=Route')).data.map((c) => c.customerNumber);
      const page = await list('limit=2&offset=2&search=Route');
      assert.deepEqual(
        page.data.map((c) => c.customerNumber),
        all.slice(2, 4),
      );
      assert.equal(page.nextAfter, all[3]);
    });

    it('refuses a bad cursor as a 400 naming the parameter', async () => {
      for (const cursor of ['abc', '-1', '1.5', '99999999999']) {
        assertProblem(await api.get(`/api/v1/customers?after=${cursor}`), 400, 'querystring/after');
      }
      assertProblem(await api.get('/api/v1/customers?after=7001&offset=2'), 400, 'querystring/offset');
    });
  });
}
