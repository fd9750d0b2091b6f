// Payment settings over HTTP: defaults, partial updates, validation, roles, deposit banks. The
// eligibility answers for the demo agency's policies are in eligibility-policies.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { DEMO_BACKUP_EMAIL } from '../../src/demo/demo-agency.ts';
import { databaseTargets } from '../support/db.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import type { TestServer } from '../support/server.ts';
import {
  assertProblem,
  type DemoPolicy,
  defaultsAsJson,
  eligibilityQueries,
  SETTINGS,
  startEligibilityWorld,
} from '../support/worlds/eligibility.ts';

for (const target of databaseTargets()) {
  describe(`payment settings and eligibility over HTTP on ${target}`, () => {
    let server: TestServer;
    let staff: ApiClient;
    let agent: ApiClient;
    let clientCookie: string;
    let demo: ApiClient;
    let demoAgencyId: string;
    let policies: DemoPolicy[];
    const { auditCount, storedSettings } = eligibilityQueries(() => ({ server, policies }));

    before(async () => {
      ({ server, staff, agent, clientCookie, demo, demoAgencyId, policies } = await startEligibilityWorld(target));
    });
    after(async () => server.close());

    describe('settings', () => {
      it('reads the defaults before anything is set', async () => {
        const res = await staff.get(SETTINGS);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, defaultsAsJson);
      });

      it('changes only the settings sent, stores only those, and audits the change', async () => {
        const first = await staff.patch(SETTINGS, {
          allowPaySubmittedPolicies: true,
          daysToAllowCanceledPolicyPayment: 10,
        });
        assert.equal(first.status, 200);
        assert.deepEqual(first.body, {
          ...defaultsAsJson,
          allowPaySubmittedPolicies: true,
          daysToAllowCanceledPolicyPayment: 10,
        });
        const second = await staff.patch(SETTINGS, { disallowCancellationPendingNonPay: true });
        assert.equal(second.status, 200);
        const expected = { ...first.body, disallowCancellationPendingNonPay: true };
        assert.deepEqual(second.body, expected);
        assert.deepEqual((await staff.get(SETTINGS)).body, expected);
        assert.deepEqual((await storedSettings(server.agency.id)).payments, {
          allowPaySubmittedPolicies: true,
          daysToAllowCanceledPolicyPayment: 10,
          disallowCancellationPendingNonPay: true,
        });
        assert.equal(await auditCount(server.agency.id), 2);
        const entry = await server.database.db
          .selectFrom('audit_log')
          .select(['data', 'entity_type', 'entity_id'])
          .where('agency_id', '=', server.agency.id)
          .where('action', '=', 'payment_settings.updated')
          .orderBy('id', 'desc')
          .executeTakeFirstOrThrow();
        assert.deepEqual(entry.data, { changes: { disallowCancellationPendingNonPay: { from: false, to: true } } });
        assert.deepEqual([entry.entity_type, entry.entity_id], ['agency', server.agency.id]);

        // Sending what is already set writes nothing.
        assert.equal((await staff.patch(SETTINGS, { allowPaySubmittedPolicies: true })).status, 200);
        assert.equal(await auditCount(server.agency.id), 2);
      });

      it('refuses bad input with problem+json and writes nothing', async () => {
        const before = (await staff.get(SETTINGS)).body;
        const stored = await storedSettings(server.agency.id);
        const audits = await auditCount(server.agency.id);
        const both = ['disallowCancellationPendingNonPay', 'disallowCancellationPendingNonPayPoorHistory'];

        const pair = await staff.patch(SETTINGS, {
          disallowCancellationPendingNonPay: true,
          disallowCancellationPendingNonPayPoorHistory: true,
        });
        assertProblem(pair, 422, both);
        for (const name of both) assert.ok(pair.body.detail.includes(name), pair.body.detail);
        // disallowCancellationPendingNonPay is already on: turning the other one on alone is refused too.
        assertProblem(
          await staff.patch(SETTINGS, {
            disallowCancellationPendingNonPayPoorHistory: true,
            enforceMinMaxAgentSweep: true,
          }),
          422,
          both,
        );
        for (const days of [-2, -100, 1.5]) {
          assertProblem(await staff.patch(SETTINGS, { daysToAllowCanceledPolicyPayment: days }), 400, [
            'daysToAllowCanceledPolicyPayment',
          ]);
        }
        assertProblem(await staff.patch(SETTINGS, { daysToAllowCanceledPolicyPayment: '5' }), 400, [
          'daysToAllowCanceledPolicyPayment',
        ]);
        assertProblem(await staff.patch(SETTINGS, { enforceMinMaxSecureCheckout: 'yes' }), 400, [
          'enforceMinMaxSecureCheckout',
        ]);
        assertProblem(
          await staff.patch(SETTINGS, { allowPayExpiredPolicies: true, enforceMinMaxAgentSweep: true }),
          400,
          ['allowPayExpiredPolicies'],
        );
        assertProblem(await staff.patch(SETTINGS, [true]), 400);
        assertProblem(await staff.patch(SETTINGS, '{"allowPaySubmittedPolicies": fal'), 400);

        assert.deepEqual((await staff.get(SETTINGS)).body, before);
        assert.deepEqual(await storedSettings(server.agency.id), stored);
        assert.equal(await auditCount(server.agency.id), audits);
      });

      it('lets staff switch from one non-pay setting to the other in one request', async () => {
        const res = await staff.patch(SETTINGS, {
          disallowCancellationPendingNonPay: false,
          disallowCancellationPendingNonPayPoorHistory: true,
        });
        assert.equal(res.status, 200);
        assert.equal(res.body.disallowCancellationPendingNonPay, false);
        assert.equal(res.body.disallowCancellationPendingNonPayPoorHistory, true);
      });

      it('keeps the other settings stored in the same column', async () => {
        await sql`UPDATE agencies SET settings = settings || '{"branding": {"color": "#0a5"}}'::jsonb
          WHERE id = ${server.agency.id}`.execute(server.database.db);
        assert.equal((await staff.patch(SETTINGS, { enforceMinMaxSecureCheckout: true })).status, 200);
        const stored = await storedSettings(server.agency.id);
        assert.deepEqual(stored.branding, { color: '#0a5' });
        assert.equal((stored.payments as Record<string, unknown>).enforceMinMaxSecureCheckout, true);
      });

      it('is staff only: agents and clients get 403, anonymous callers 401', async () => {
        const before = await storedSettings(server.agency.id);
        assertProblem(await agent.get(SETTINGS), 403);
        assertProblem(await agent.patch(SETTINGS, { allowPaySubmittedPolicies: false }), 403);
        const anon = apiClient(server.url);
        assertProblem(await anon.get(SETTINGS, { cookie: clientCookie }), 403);
        assertProblem(await anon.patch(SETTINGS, { allowPaySubmittedPolicies: false }, { cookie: clientCookie }), 403);
        assertProblem(await anon.get(SETTINGS), 401);
        assertProblem(await anon.patch(SETTINGS, { allowPaySubmittedPolicies: false }), 401);
        assert.deepEqual(await storedSettings(server.agency.id), before);
      });

      it('sets and clears the NSF fee as an amount', async () => {
        const set = await staff.patch(SETTINGS, { nsfFee: 25 });
        assert.equal(set.status, 200);
        assert.equal(set.body.nsfFee, 25);
        assert.equal(((await storedSettings(server.agency.id)).payments as Record<string, unknown>).nsfFeeCents, 2500);
        for (const fee of [0, -5, 1.234, '25']) {
          assertProblem(await staff.patch(SETTINGS, { nsfFee: fee }), 400, ['nsfFee']);
        }
        assert.equal((await staff.get(SETTINGS)).body.nsfFee, 25);
        const cleared = await staff.patch(SETTINGS, { nsfFee: null });
        assert.equal(cleared.status, 200);
        assert.equal(cleared.body.nsfFee, null);
      });

      it("keeps each agency's settings to itself", async () => {
        // The demo agency sets only its backup address and its three banks' channels.
        assert.deepEqual((await demo.get(SETTINGS)).body, {
          ...defaultsAsJson,
          backupEmail: DEMO_BACKUP_EMAIL,
          defaultDepositBanks: { autopay: 'OPER', secure_checkout: 'OPER', agent_sweep: 'TRUST' },
        });
      });

      it('sets default deposit banks per channel by short name or id, refusing unknown banks by channel', async () => {
        const db = server.database.db;
        const created = await createBank(db, server.agency.actor, {
          shortName: 'SETT',
          name: 'Settings',
          division: 'Main',
        });
        const bank = { id: created.id, short_name: created.shortName };
        const set = await staff.patch(SETTINGS, {
          defaultDepositBanks: { autopay: bank.short_name, secure_checkout: bank.id },
        });
        assert.equal(set.status, 200, JSON.stringify(set.body));
        assert.deepEqual(set.body.defaultDepositBanks, {
          autopay: bank.short_name,
          secure_checkout: bank.short_name,
          agent_sweep: null,
        });
        assert.deepEqual(
          ((await storedSettings(server.agency.id)).payments as Record<string, unknown>).defaultDepositBanks,
          {
            autopay: bank.short_name,
            secure_checkout: bank.short_name,
          },
        );

        // An unknown bank (another agency's included) is refused naming its channel; nothing is written.
        const before = await storedSettings(server.agency.id);
        const theirs = await db
          .selectFrom('banks')
          .select('id')
          .where('agency_id', '=', demoAgencyId)
          .executeTakeFirstOrThrow();
        assertProblem(
          await staff.patch(SETTINGS, {
            defaultDepositBanks: { autopay: 'NOSUCH', agent_sweep: theirs.id },
            enforceMinMaxAgentSweep: true,
          }),
          422,
          ['defaultDepositBanks/autopay', 'defaultDepositBanks/agent_sweep'],
        );
        assertProblem(await staff.patch(SETTINGS, { defaultDepositBanks: { portal: bank.short_name } }), 400, [
          'defaultDepositBanks/portal',
        ]);
        assert.deepEqual(await storedSettings(server.agency.id), before);

        // Omitted channels stay; null clears one.
        const cleared = await staff.patch(SETTINGS, { defaultDepositBanks: { secure_checkout: null } });
        assert.equal(cleared.status, 200);
        assert.deepEqual(cleared.body.defaultDepositBanks, {
          autopay: bank.short_name,
          secure_checkout: null,
          agent_sweep: null,
        });
        await staff.patch(SETTINGS, { defaultDepositBanks: { autopay: null } });
      });
    });
  });
}
