import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { authenticateApiKey } from '../../src/agency/api-keys.ts';
import { signIn } from '../../src/agency/users.ts';
import { policyStatuses } from '../../src/customers/rules/policy-lifecycle.ts';
import { DEMO_STAFF, loadDemoAgency } from '../../src/demo/demo-agency.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';

for (const target of databaseTargets()) {
  describe(`demo agency on ${target}`, () => {
    let database: DatabaseHandle;
    const now = new Date('2026-11-21T15:00:00Z');

    before(async () => {
      database = await openTestDatabase(target);
    });
    after(async () => database.close());

    it('loads 25+ customers with contacts, every policy status, banks in two divisions and invoices in each state', async () => {
      const load = await loadDemoAgency(database.db, { apiKey: 'pp_demo_key_for_tests_0001', now });
      assert.equal(load.created, true);
      assert.equal(load.apiKey, 'pp_demo_key_for_tests_0001');
      const agencyId = load.agency.id;
      const count = async (query: ReturnType<typeof sql<{ n: bigint }>>) =>
        Number((await query.execute(database.db)).rows[0]!.n);

      assert.ok((await count(sql`SELECT count(*) AS n FROM customers WHERE agency_id = ${agencyId}`)) >= 25);
      assert.equal(
        await count(sql`SELECT count(*) AS n FROM customers c WHERE agency_id = ${agencyId}
          AND NOT EXISTS (SELECT 1 FROM contacts WHERE customer_id = c.id AND email IS NOT NULL)`),
        0,
      );
      const statuses = await sql<{
        status: string;
      }>`SELECT DISTINCT status FROM policies WHERE agency_id = ${agencyId}`.execute(database.db);
      assert.deepEqual(statuses.rows.map((r) => r.status).sort(), [...policyStatuses].sort());

      const poor = await sql<{ n: bigint }>`SELECT count(*) AS n FROM policies WHERE agency_id = ${agencyId}
        AND status = 'cancellation_pending' AND cancellation_reason = 'non_pay' AND 'poor_payment_history' = ANY(tags)`.execute(
        database.db,
      );
      assert.equal(poor.rows[0]!.n, 1n);
      const canceled = await sql<{ d: string }>`SELECT cancellation_effective_date AS d FROM policies
        WHERE agency_id = ${agencyId} AND status = 'canceled'`.execute(database.db);
      assert.deepEqual(
        canceled.rows.map((r) => r.d),
        ['2026-11-11'],
      );

      assert.equal(
        await count(sql`SELECT count(DISTINCT division_id) AS n FROM banks WHERE agency_id = ${agencyId}`),
        2,
      );
      assert.ok(
        (await count(
          sql`SELECT count(*) AS n FROM installment_plans WHERE agency_id = ${agencyId} AND autopay_lead_days > 0`,
        )) >= 1,
      );

      const balances = await sql<{ amount: bigint; balance: bigint }>`
        SELECT i.amount_cents AS amount, coalesce(sum(l.amount_cents), 0)::int8 AS balance
        FROM invoices i LEFT JOIN journal_lines l ON l.invoice_id = i.id AND l.account = 'accounts_receivable'
        WHERE i.agency_id = ${agencyId} GROUP BY i.id`.execute(database.db);
      const states = new Set(
        balances.rows.map((r) => (r.balance === 0n ? 'paid' : r.balance < r.amount ? 'partially_paid' : 'open')),
      );
      assert.deepEqual([...states].sort(), ['open', 'paid', 'partially_paid']);
    });

    it('is idempotent and deterministic, and its staff can sign in with the printed credentials', async () => {
      const again = await loadDemoAgency(database.db, { now });
      assert.equal(again.created, false);
      const session = await signIn(database.db, DEMO_STAFF.email, DEMO_STAFF.password);
      assert.equal(session.agency.name, 'Demo Agency');
      const actor = await authenticateApiKey(database.db, 'pp_demo_key_for_tests_0001');
      assert.equal(actor?.role, 'staff');
      const names = await sql<{ name: string }>`SELECT name FROM customers ORDER BY customer_number LIMIT 3`.execute(
        database.db,
      );
      assert.deepEqual(
        names.rows.map((r) => r.name),
        ['Jane Smith', 'Marcus Okafor', 'Priya Tanaka'],
      );
    });
  });
}
