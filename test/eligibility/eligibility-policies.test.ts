// Payment eligibility of the demo agency's policies over HTTP, checked against the domain rules for
// every status, channel and payer. The settings endpoint itself is in eligibility-settings.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { requirePaymentEligibility } from '../../src/eligibility/payment-eligibility.ts';
import { type PaymentChannel, paymentChannels } from '../../src/eligibility/rules/channels.ts';
import {
  decidePaymentEligibility,
  type EligibilityReason,
  type PayerActor,
  payerActors,
} from '../../src/eligibility/rules/eligibility.ts';
import type { PaymentSettings } from '../../src/eligibility/rules/payment-settings.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { dateInZone } from '../../src/kernel/calendar.ts';
import { DomainError } from '../../src/kernel/errors.ts';
import { databaseTargets } from '../support/db.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import type { TestServer } from '../support/server.ts';
import {
  assertProblem,
  type DemoPolicy,
  defaultFlags,
  eligibilityQueries,
  SETTINGS,
  startEligibilityWorld,
} from '../support/worlds/eligibility.ts';

for (const target of databaseTargets()) {
  describe(`payment settings and eligibility over HTTP on ${target}`, () => {
    let server: TestServer;
    let staff: ApiClient;
    let demo: ApiClient;
    let demoAgent: ApiClient;
    let demoAgencyId: string;
    let policies: DemoPolicy[];
    const { byStatus, eligibility } = eligibilityQueries(() => ({ server, policies }));

    before(async () => {
      ({ server, staff, demo, demoAgent, demoAgencyId, policies } = await startEligibilityWorld(target));
    });
    after(async () => server.close());

    describe('eligibility of the demo agency policies', () => {
      async function setDemoSettings(patch: Partial<typeof defaultFlags>): Promise<PaymentSettings> {
        // Clear the exclusive pair first so that any combination can be set.
        await demo.patch(SETTINGS, {
          disallowCancellationPendingNonPay: false,
          disallowCancellationPendingNonPayPoorHistory: false,
        });
        const res = await demo.patch(SETTINGS, { ...defaultFlags, ...patch });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const { nsfFee, ...flags } = res.body;
        return { ...flags, nsfFeeCents: nsfFee === null ? null : BigInt(Math.round(nsfFee * 100)) };
      }

      async function policyBalances(policyId: string, today: string): Promise<{ due: bigint; payoff: bigint }> {
        const rows = await sql<{ due_date: string; balance: bigint }>`
          SELECT i.due_date::text AS due_date, coalesce(sum(l.amount_cents), 0)::int8 AS balance
          FROM invoices i
          LEFT JOIN journal_lines l ON l.invoice_id = i.id AND l.account = 'accounts_receivable'
          WHERE i.agency_id = ${demoAgencyId} AND i.policy_id = ${policyId}
          GROUP BY i.id`.execute(server.database.db);
        let due = 0n;
        let payoff = 0n;
        for (const row of rows.rows) {
          if (row.balance <= 0n) continue;
          payoff += row.balance;
          if (row.due_date <= today) due += row.balance;
        }
        return { due, payoff };
      }

      /** Asks the endpoint about every demo policy, channel and payer; checks each answer against the domain rules. */
      async function matchesDomainForEveryPolicy(settings: PaymentSettings): Promise<void> {
        const balances = new Map<string, Promise<{ due: bigint; payoff: bigint }>>();
        for (const policy of policies) {
          for (const channel of paymentChannels) {
            for (const actor of payerActors) {
              const res = await eligibility(demo, policy.policyNumber, { channel, actor });
              assert.equal(res.status, 200, JSON.stringify(res.body));
              // Due by the server's today, not the test's own reading of the clock (midnight may fall between).
              const key = `${policy.policyId} ${res.body.today}`;
              if (!balances.has(key)) balances.set(key, policyBalances(policy.policyId, res.body.today));
              const { due, payoff } = await balances.get(key)!;
              const expected = decidePaymentEligibility({
                policy,
                channel,
                actor,
                settings,
                today: res.body.today,
                currentlyDue: due,
                payoff,
              });
              const where = `${policy.policyNumber} (${policy.status}) ${channel} by ${actor}`;
              assert.equal(res.body.allowed, expected.allowed, where);
              assert.equal(res.body.reason, expected.reason, where);
              assert.equal(res.body.message, expected.message, where);
              assert.equal(res.body.policyStatus, policy.status, where);
              assert.equal(res.body.currentlyDue, Number(due) / 100, where);
              assert.equal(res.body.payoff, Number(payoff) / 100, where);
            }
          }
        }
      }

      async function expectReasons(rows: [DemoPolicy, PaymentChannel, PayerActor, EligibilityReason][]): Promise<void> {
        for (const [policy, channel, actor, reason] of rows) {
          const res = await eligibility(demo, policy.policyNumber, { channel, actor });
          const where = `${policy.policyNumber} (${policy.status}) ${channel} by ${actor}`;
          assert.equal(res.status, 200, where);
          assert.equal(res.body.reason, reason, where);
          assert.equal(res.body.allowed, reason === 'allowed', where);
        }
      }

      it('has a policy in every status, including the two the rules single out', () => {
        const poor = byStatus('cancellation_pending', (p) => p.cancellationReason === 'non_pay');
        assert.ok(poor.tags.includes('poor_payment_history'));
        byStatus('cancellation_pending', (p) => p.cancellationReason === 'underwriting');
        for (const status of ['unsubmitted', 'submitted', 'rejected', 'active', 'canceled', 'expired'] as const) {
          byStatus(status);
        }
      });

      it('answers with the defaults, as the table says', async () => {
        const settings = await setDemoSettings({});
        const poor = byStatus('cancellation_pending', (p) => p.cancellationReason === 'non_pay');
        const canceled = byStatus('canceled');
        await expectReasons([
          [byStatus('unsubmitted'), 'agent_sweep', 'agent', 'policy_unsubmitted'],
          [byStatus('submitted'), 'agent_sweep', 'agent', 'submitted_not_allowed'],
          [byStatus('rejected'), 'secure_checkout', 'staff', 'policy_rejected'],
          [byStatus('active'), 'secure_checkout', 'external', 'allowed'],
          [byStatus('active'), 'agent_sweep', 'external', 'channel_not_available'],
          [poor, 'autopay', 'external', 'allowed'],
          [canceled, 'secure_checkout', 'external', 'canceled_outside_window'],
          [canceled, 'agent_sweep', 'agent', 'canceled_outside_window'],
          [canceled, 'secure_checkout', 'staff', 'allowed'],
          [byStatus('expired'), 'agent_sweep', 'staff', 'policy_expired'],
          [byStatus('expired'), 'secure_checkout', 'staff', 'allowed'],
        ]);
        await matchesDomainForEveryPolicy(settings);
      });

      it('answers with the poor history, underwriting and submitted settings on', async () => {
        const settings = await setDemoSettings({
          allowPaySubmittedPolicies: true,
          daysToAllowCanceledPolicyPayment: -1,
          disallowCancellationPendingNonPayPoorHistory: true,
          disallowCancellationPendingUnderwriting: true,
        });
        const poor = byStatus('cancellation_pending', (p) => p.cancellationReason === 'non_pay');
        const underwriting = byStatus('cancellation_pending', (p) => p.cancellationReason === 'underwriting');
        await expectReasons([
          [byStatus('submitted'), 'agent_sweep', 'agent', 'allowed'],
          [byStatus('submitted'), 'agent_sweep', 'staff', 'allowed'],
          [byStatus('submitted'), 'secure_checkout', 'external', 'submitted_not_allowed'],
          [poor, 'secure_checkout', 'external', 'cancellation_pending_poor_history_disallowed'],
          [poor, 'agent_sweep', 'agent', 'cancellation_pending_poor_history_disallowed'],
          [poor, 'autopay', 'external', 'cancellation_pending_poor_history_disallowed'],
          [poor, 'agent_sweep', 'staff', 'allowed'],
          [poor, 'secure_checkout', 'staff', 'allowed'],
          [underwriting, 'agent_sweep', 'agent', 'cancellation_pending_underwriting_disallowed'],
          [underwriting, 'agent_sweep', 'staff', 'cancellation_pending_underwriting_disallowed'],
          [underwriting, 'secure_checkout', 'staff', 'allowed'],
          [byStatus('canceled'), 'secure_checkout', 'external', 'allowed'],
        ]);
        await matchesDomainForEveryPolicy(settings);
      });

      it('counts the canceled window in the agency time zone: day N allowed, day N+1 refused', async () => {
        const canceled = byStatus('canceled');
        const probe = await eligibility(demo, canceled.policyNumber, { channel: 'agent_sweep', actor: 'agent' });
        const beforeRequest = dateInZone(new Date(Date.now() - 60_000), 'America/Chicago');
        assert.ok([beforeRequest, dateInZone(new Date(), 'America/Chicago')].includes(probe.body.today));
        const elapsed = Math.round(
          (Date.parse(probe.body.today) - Date.parse(canceled.cancellationEffectiveDate!)) / 86_400_000,
        );
        assert.ok(elapsed >= 10, `the demo policy was canceled ${elapsed} days ago`);

        let settings = await setDemoSettings({
          daysToAllowCanceledPolicyPayment: elapsed,
          disallowCancellationPendingNonPay: true,
        });
        await expectReasons([
          [canceled, 'agent_sweep', 'agent', 'allowed'],
          [canceled, 'secure_checkout', 'external', 'allowed'],
          [canceled, 'autopay', 'external', 'allowed'],
          [
            byStatus('cancellation_pending', (p) => p.cancellationReason === 'non_pay'),
            'secure_checkout',
            'external',
            'cancellation_pending_non_pay_disallowed',
          ],
          [
            byStatus('cancellation_pending', (p) => p.cancellationReason === 'non_pay'),
            'agent_sweep',
            'staff',
            'allowed',
          ],
        ]);
        await matchesDomainForEveryPolicy(settings);

        settings = await setDemoSettings({ daysToAllowCanceledPolicyPayment: elapsed - 1 });
        await expectReasons([
          [canceled, 'agent_sweep', 'agent', 'canceled_outside_window'],
          [canceled, 'secure_checkout', 'external', 'canceled_outside_window'],
          [canceled, 'agent_sweep', 'staff', 'canceled_outside_window'],
          [canceled, 'secure_checkout', 'staff', 'allowed'],
        ]);
        const refused = await eligibility(demo, canceled.policyNumber, { channel: 'autopay', actor: 'external' });
        assert.match(refused.body.message, /daysToAllowCanceledPolicyPayment/);
        await matchesDomainForEveryPolicy(settings);
      });

      it('enforces the minimum (currently due) and maximum (payoff) with amounts', async () => {
        await setDemoSettings({ enforceMinMaxSecureCheckout: true, enforceMinMaxAgentSweep: true });
        let subject: { policyNumber: string; due: number; payoff: number } | undefined;
        for (const policy of policies.filter((p) => p.status === 'active')) {
          const res = await eligibility(demo, policy.policyNumber, { channel: 'secure_checkout', actor: 'external' });
          if (res.body.currentlyDue > 0 && res.body.payoff > res.body.currentlyDue) {
            subject = { policyNumber: policy.policyNumber, due: res.body.currentlyDue, payoff: res.body.payoff };
            assert.equal(res.body.minimumAmount, res.body.currentlyDue);
            assert.equal(res.body.maximumAmount, res.body.payoff);
            assert.equal(res.body.amount, null);
            break;
          }
        }
        assert.ok(subject, 'an active demo policy with something due now and more due later');
        const cents = (amount: number) => Math.round(amount * 100);
        const text = (c: number) => (c / 100).toFixed(2);
        const ask = (channel: PaymentChannel, actor: PayerActor, amountCents: number) =>
          eligibility(demo, subject!.policyNumber, { channel, actor, amount: text(amountCents) });

        const rows: [PaymentChannel, PayerActor, number, EligibilityReason, boolean][] = [
          ['secure_checkout', 'external', cents(subject.due) - 1, 'below_minimum', true],
          ['secure_checkout', 'external', cents(subject.due), 'allowed', true],
          ['secure_checkout', 'external', cents(subject.payoff), 'allowed', true],
          ['secure_checkout', 'external', cents(subject.payoff) + 1, 'above_maximum', true],
          ['agent_sweep', 'agent', cents(subject.due) - 1, 'below_minimum', true],
          ['agent_sweep', 'agent', cents(subject.payoff) + 1, 'above_maximum', true],
          ['agent_sweep', 'staff', 1, 'allowed', false],
          ['secure_checkout', 'staff', cents(subject.payoff) + 1, 'allowed', false],
          ['secure_checkout', 'agent', 1, 'allowed', false],
          ['autopay', 'external', 1, 'allowed', false],
        ];
        for (const [channel, actor, amountCents, reason, bounded] of rows) {
          const res = await ask(channel, actor, amountCents);
          const where = `${channel} by ${actor} paying ${text(amountCents)}`;
          assert.equal(res.status, 200, where);
          assert.equal(res.body.reason, reason, where);
          assert.equal(res.body.allowed, reason === 'allowed', where);
          assert.equal(res.body.amount, amountCents / 100, where);
          assert.equal(res.body.minimumAmount, bounded ? subject.due : null, where);
          assert.equal(res.body.maximumAmount, bounded ? subject.payoff : null, where);
        }
      });

      it('gives payment paths one call that refuses with a 422 carrying the reason and bounds', async () => {
        await setDemoSettings({ enforceMinMaxSecureCheckout: true });
        const db = server.database.db;
        const actor = systemActor(demoAgencyId);
        const expired = byStatus('expired');
        await assert.rejects(
          requirePaymentEligibility(db, actor, expired.policyNumber, { channel: 'autopay', payer: 'external' }),
          (e: unknown) =>
            e instanceof DomainError &&
            e.code === 'unprocessable' &&
            e.extensions.reason === 'policy_expired' &&
            e.errors.length === 0,
        );
        const staffOk = await requirePaymentEligibility(db, actor, expired.policyNumber, {
          channel: 'secure_checkout',
          payer: 'staff',
        });
        assert.equal(staffOk.reason, 'allowed');
        const active = policies.filter((p) => p.status === 'active');
        const withPayoff = [];
        for (const p of active) {
          const e = await requirePaymentEligibility(db, actor, p.policyNumber, {
            channel: 'secure_checkout',
            payer: 'external',
          });
          if (e.payoffCents > 0n) withPayoff.push(e);
        }
        const subject = withPayoff[0];
        assert.ok(subject, 'an active demo policy with an open balance');
        await assert.rejects(
          requirePaymentEligibility(db, actor, subject.policyNumber, {
            channel: 'secure_checkout',
            payer: 'external',
            amountCents: subject.payoffCents + 1n,
          }),
          (e: unknown) =>
            e instanceof DomainError &&
            e.extensions.reason === 'above_maximum' &&
            e.extensions.maximumAmount === Number(subject.payoffCents) / 100 &&
            e.errors[0]?.path === 'amount',
        );
      });

      it('answers agents too, and refuses bad queries, unknown policies and other agencies', async () => {
        const active = byStatus('active');
        const asAgent = await eligibility(demoAgent, active.policyNumber, { channel: 'agent_sweep', actor: 'agent' });
        assert.equal(asAgent.status, 200);
        assert.equal(asAgent.body.reason, 'allowed');

        const bad: [Record<string, string>, string][] = [
          [{ actor: 'external' }, 'querystring/channel'],
          [{ channel: 'cash', actor: 'external' }, 'querystring/channel'],
          [{ channel: 'autopay' }, 'querystring/actor'],
          [{ channel: 'autopay', actor: 'client' }, 'querystring/actor'],
          [{ channel: 'autopay', actor: 'external', amount: '1.234' }, 'querystring/amount'],
          [{ channel: 'autopay', actor: 'external', amount: '0' }, 'querystring/amount'],
          [{ channel: 'autopay', actor: 'external', amount: '-5' }, 'querystring/amount'],
          [{ channel: 'autopay', actor: 'external', amount: '1e3' }, 'querystring/amount'],
          [{ channel: 'autopay', actor: 'external', payer: 'x' }, 'querystring/payer'],
        ];
        for (const [query, path] of bad) {
          assertProblem(await eligibility(demo, active.policyNumber, query), 400, [path]);
        }
        assertProblem(await eligibility(demo, 'NOPE-1', { channel: 'autopay', actor: 'external' }), 404);
        assertProblem(await eligibility(staff, active.policyNumber, { channel: 'autopay', actor: 'external' }), 404);
        assertProblem(
          await eligibility(apiClient(server.url), active.policyNumber, { channel: 'autopay', actor: 'external' }),
          401,
        );
      });
    });
  });
}
