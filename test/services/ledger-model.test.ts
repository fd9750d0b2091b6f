import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { allocateRefund } from '../../src/domain/refunds.ts';
import { createProcessors } from '../../src/processors/registry.ts';
import { presentEvent } from '../../src/processors/sandbox/present.ts';
import { type Sandbox, startSandbox } from '../../src/processors/sandbox/server.ts';
import { SIGNATURE_HEADER, signatureHeader } from '../../src/processors/sandbox/signature.ts';
import type { SandboxEvent } from '../../src/processors/sandbox/state.ts';
import {
  ACH_RETURN_R01_NSF,
  ACH_SETTLES,
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_DECLINED_STOLEN,
  CARD_LOST_RESPONSE,
  CARD_SUCCEEDS,
} from '../../src/processors/sandbox/test-numbers.ts';
import type { Actor } from '../../src/services/actor.ts';
import { createBank } from '../../src/services/banks.ts';
import { createCustomer } from '../../src/services/customers.ts';
import { createInvoice } from '../../src/services/invoices.ts';
import { applyOnAccountCredit } from '../../src/services/on-account.ts';
import { createPayment } from '../../src/services/payment-creation.ts';
import { executePayment } from '../../src/services/payment-execution.ts';
import { runPaymentJanitor } from '../../src/services/payment-janitor.ts';
import { type Processors, savePaymentMethod } from '../../src/services/payment-methods.ts';
import { refundPayment } from '../../src/services/payment-refunds.ts';
import { updatePaymentSettings } from '../../src/services/payment-settings.ts';
import { handleProcessorEvent } from '../../src/services/processor-events.ts';
import { postCustomerReceipt } from '../../src/services/receipt-posting.ts';
import { reverseReceipt } from '../../src/services/receipt-reversals.ts';
import type { Db } from '../../src/services/transaction.ts';
import { achToken, cardToken } from '../processors/helpers.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';

const SECRET = 'whsec_test_ledger_model';
const DAY_MS = 86_400_000;
/** The model's business time starts here; janitor and ACH steps move it forward, nothing waits. */
const T0 = new Date('2026-11-21T16:00:00Z');

const instruments = {
  card: { kind: 'card', number: CARD_SUCCEEDS },
  softDecline: { kind: 'card', number: CARD_DECLINED_INSUFFICIENT_FUNDS },
  hardDecline: { kind: 'card', number: CARD_DECLINED_STOLEN },
  lostResponse: { kind: 'card', number: CARD_LOST_RESPONSE },
  achSettles: { kind: 'ach', number: ACH_SETTLES },
  achReturns: { kind: 'ach', number: ACH_RETURN_R01_NSF },
} as const;
type Instrument = keyof typeof instruments;

type Op =
  | { kind: 'receipt'; customer: number; items: { invoice: number | null; cents: number }[] }
  | { kind: 'reverse'; pick: number; reason: 'nsf' | 'chargeback' | 'entered_in_error' }
  | { kind: 'onAccount'; customer: number; invoice: number; fraction: number }
  | { kind: 'pay'; customer: number; invoice: number; fraction: number; extra: number; instrument: Instrument }
  | { kind: 'janitor' }
  | { kind: 'runDue' }
  | { kind: 'refund'; pick: number; fraction: number }
  | { kind: 'settleAch' }
  | { kind: 'chargeback'; pick: number }
  | { kind: 'lateReturn'; pick: number }
  | { kind: 'redeliver'; pick: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('receipt' as const),
    customer: fc.nat(1),
    items: fc.array(
      fc.record({ invoice: fc.option(fc.nat(2), { nil: null }), cents: fc.integer({ min: 1, max: 60_000 }) }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    kind: fc.constant('reverse' as const),
    pick: fc.nat(20),
    reason: fc.constantFrom('nsf' as const, 'chargeback' as const, 'entered_in_error' as const),
  }),
  fc.record({
    kind: fc.constant('onAccount' as const),
    customer: fc.nat(1),
    invoice: fc.nat(2),
    fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
  }),
  {
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      customer: fc.nat(1),
      invoice: fc.nat(2),
      fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
      extra: fc.constantFrom(0, 0, 2_500),
      instrument: fc.constantFrom<Instrument>(
        'card',
        'card',
        'softDecline',
        'hardDecline',
        'lostResponse',
        'achSettles',
        'achReturns',
      ),
    }),
    weight: 4,
  },
  fc.constant({ kind: 'janitor' as const }),
  fc.constant({ kind: 'runDue' as const }),
  {
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      pick: fc.nat(20),
      fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    }),
    weight: 2,
  },
  fc.constant({ kind: 'settleAch' as const }),
  { arbitrary: fc.record({ kind: fc.constant('chargeback' as const), pick: fc.nat(20) }), weight: 2 },
  fc.record({ kind: fc.constant('lateReturn' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat(20) }),
);

/** A refusal the services answer with (a payment in flight, a disabled method): the step does nothing. */
function refused(error: unknown): boolean {
  return error instanceof DomainError && ['conflict', 'unprocessable', 'payment_in_flight'].includes(error.code);
}

/**
 * The model of the ledger with the processor: any sequence of receipts, reversals, On Account
 * applications, card and ACH payments through the sandbox (declined, lost response, settled,
 * returned), janitor passes, refunds, chargebacks and late returns keeps, after every step, per
 * agency: debits = credits; every invoice's balance = amount − applied ≥ 0 (applied from the
 * receipt records, not the AR lines); cash charged at the processor = cash in the ledger.
 */
for (const target of databaseTargets()) {
  describe(`ledger model with the processor on ${target}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await openTestDatabase(target);
    });
    after(async () => database.close());

    it('holds for any sequence of operations (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 16 }), fc.boolean(), async (ops, withFee) => {
          const sandbox = await startSandbox({ webhookSecret: SECRET });
          try {
            await runModel(database.db, sandbox, ops, withFee);
          } finally {
            await sandbox.close();
          }
        }),
        // Fixed seed: the same runs every time; the step count bounds the time (~10-20 s per database).
        {
          seed: 20261203,
          numRuns: target === 'pglite' ? 12 : 10,
          // Each fault at least once, whatever the random runs draw.
          examples: [
            [
              [
                { kind: 'pay', customer: 0, invoice: 1, fraction: 0.5, extra: 2_500, instrument: 'card' },
                { kind: 'refund', pick: 0, fraction: 0.5 },
                { kind: 'chargeback', pick: 0 },
              ],
              false,
            ],
            [
              [
                { kind: 'pay', customer: 1, invoice: 0, fraction: 1, extra: 0, instrument: 'card' },
                { kind: 'refund', pick: 0, fraction: 1 },
                { kind: 'chargeback', pick: 0 },
              ],
              false,
            ],
            [
              [
                { kind: 'pay', customer: 0, invoice: 0, fraction: 1, extra: 0, instrument: 'lostResponse' },
                { kind: 'pay', customer: 0, invoice: 0, fraction: 1, extra: 0, instrument: 'card' },
                { kind: 'janitor' },
                { kind: 'pay', customer: 1, invoice: 1, fraction: 1, extra: 0, instrument: 'softDecline' },
                { kind: 'pay', customer: 1, invoice: 2, fraction: 1, extra: 0, instrument: 'hardDecline' },
                { kind: 'janitor' },
                { kind: 'runDue' },
              ],
              false,
            ],
            [
              [
                { kind: 'pay', customer: 0, invoice: 0, fraction: 0.6, extra: 0, instrument: 'achSettles' },
                { kind: 'pay', customer: 1, invoice: 0, fraction: 1, extra: 0, instrument: 'achReturns' },
                { kind: 'receipt', customer: 0, items: [{ invoice: 0, cents: 25_000 }] },
                { kind: 'settleAch' },
                { kind: 'runDue' },
                { kind: 'settleAch' },
                { kind: 'lateReturn', pick: 0 },
                { kind: 'redeliver', pick: 0 },
              ],
              true,
            ],
          ],
        },
      );
    });
  });
}

async function runModel(db: Db, sandbox: Sandbox, ops: Op[], withFee: boolean): Promise<void> {
  const processors: Processors = createProcessors({
    sandboxUrl: sandbox.url,
    sandboxWebhookSecret: SECRET,
    sandboxTimeoutMs: 5_000,
  });
  const processor = processors.get('sandbox')!;
  const agency = await createTestAgency(db);
  const actor: Actor = agency.actor;
  await createBank(db, actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
  if (withFee) await updatePaymentSettings(db, actor, { nsfFeeCents: 1_500n });
  let now = T0;

  const customers: { number: number; invoices: number[]; methods: Record<Instrument, string> }[] = [];
  for (const name of ['A', 'B']) {
    const c = await createCustomer(db, actor, { type: 'individual', name });
    const invoices = [];
    for (const cents of [25_000n, 40_000n, 10_000n]) {
      invoices.push(
        (
          await createInvoice(db, actor, {
            customerNumber: c.customerNumber,
            dueDate: '2026-12-01',
            amountCents: cents,
          })
        ).invoiceNumber,
      );
    }
    const methods = {} as Record<Instrument, string>;
    for (const [key, instrument] of Object.entries(instruments) as [Instrument, (typeof instruments)[Instrument]][]) {
      const token =
        instrument.kind === 'card'
          ? await cardToken(sandbox.url, instrument.number)
          : await achToken(sandbox.url, instrument.number);
      methods[key] = (
        await savePaymentMethod(db, processors, actor, c.customerNumber, { processor: 'sandbox', token })
      ).id;
    }
    customers.push({ number: c.customerNumber, invoices, methods });
  }

  const checkReceipts: number[] = [];
  const delivered: SandboxEvent[] = [];

  // Events go through the webhook parser with a fresh signature, as a delivery would, but in
  // step: the model applies each event before it checks the invariants.
  const deliver = async (events: SandboxEvent[]) => {
    for (const event of events) {
      const rawBody = JSON.stringify(presentEvent(event));
      const parsed = processor.parseWebhook(rawBody, {
        [SIGNATURE_HEADER]: signatureHeader(SECRET, Math.floor(Date.now() / 1000), rawBody),
      });
      await handleProcessorEvent(db, 'sandbox', parsed, { now });
      delivered.push(event);
    }
  };

  const balanceOf = async (invoiceNumber: number) => {
    const row = await sql<{ balance: bigint }>`
      SELECT coalesce(sum(l.amount_cents), 0)::int8 AS balance FROM journal_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE i.agency_id = ${agency.id} AND i.invoice_number = ${invoiceNumber} AND l.account = 'accounts_receivable'`.execute(
      db,
    );
    return row.rows[0]!.balance;
  };

  /** Posted payments of a type with their processor reference, oldest first. */
  const postedPayments = async (type: 'card' | 'ach') =>
    (
      await sql<{ id: string; reference: string }>`
        SELECT p.id, a.processor_reference AS reference FROM payments p
        JOIN payment_attempts a ON a.payment_id = p.id AND a.status = 'succeeded'
        WHERE p.agency_id = ${agency.id} AND p.state = 'posted' AND p.type = ${type}
        ORDER BY p.created_at, p.id`.execute(db)
    ).rows;

  const executeDue = async () => {
    const due = await sql<{ id: string }>`
      SELECT id FROM payments WHERE agency_id = ${agency.id} AND state = 'requested' AND next_attempt_at <= ${now}
      ORDER BY next_attempt_at, id`.execute(db);
    for (const { id } of due.rows) await executePayment(db, processors, id, { now });
  };

  const janitor = async () => {
    now = new Date(now.getTime() + DAY_MS);
    await runPaymentJanitor(db, processors, { now });
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'receipt': {
        const customer = customers[op.customer]!;
        const items = op.items.map((i) => ({
          invoiceNumber: i.invoice === null ? undefined : customer.invoices[i.invoice],
          amountCents: BigInt(i.cents),
        }));
        const receipt = await postCustomerReceipt(db, actor, {
          customerNumber: customer.number,
          items,
          receiptAmountCents: items.reduce((t, i) => t + i.amountCents, 0n),
          receiptDate: '2026-11-21',
          receiptDateTimeZone: 'America/Chicago',
          bankShortName: 'OPER',
          paymentCheckType: 'Check',
        });
        checkReceipts.push(receipt.receiptNumber);
        break;
      }
      case 'reverse': {
        // Staff reverse check receipts only: a processor payment's money comes back through a
        // refund, a return or a chargeback, each of which the processor knows about.
        if (!checkReceipts.length) break;
        const [receiptNumber] = checkReceipts.splice(op.pick % checkReceipts.length, 1);
        await reverseReceipt(db, actor, receiptNumber!, { reason: op.reason }, now);
        break;
      }
      case 'onAccount': {
        const customer = customers[op.customer]!;
        const account = await sql<{ on_account: bigint }>`
          SELECT coalesce(-sum(l.amount_cents), 0)::int8 AS on_account FROM journal_lines l JOIN customers c ON c.id = l.customer_id
          WHERE c.agency_id = ${agency.id} AND c.customer_number = ${customer.number} AND l.account = 'on_account'`.execute(
          db,
        );
        const onAccount = account.rows[0]!.on_account;
        const balance = await balanceOf(customer.invoices[op.invoice]!);
        const limit = onAccount < balance ? onAccount : balance;
        const amountCents = BigInt(Math.floor(Number(limit) * op.fraction));
        if (amountCents > 0n) {
          await applyOnAccountCredit(db, actor, customer.number, {
            invoiceNumber: customer.invoices[op.invoice]!,
            amountCents,
          });
        }
        break;
      }
      case 'pay': {
        const customer = customers[op.customer]!;
        const invoiceNumber = customer.invoices[op.invoice]!;
        const balance = await balanceOf(invoiceNumber);
        const targetCents = BigInt(Math.floor(Number(balance) * op.fraction));
        if (targetCents <= 0n) break;
        const type = instruments[op.instrument].kind;
        let paymentId: string;
        try {
          const payment = await createPayment(
            db,
            actor,
            {
              customerNumber: customer.number,
              type,
              amountCents: targetCents + BigInt(op.extra),
              currency: 'USD',
              paymentMethodId: customer.methods[op.instrument],
              targets: [{ invoiceNumber, amountCents: targetCents }],
              channel: 'agent_sweep',
            },
            undefined,
            now,
          );
          paymentId = payment.id;
        } catch (error) {
          if (refused(error)) break;
          throw error;
        }
        await executePayment(db, processors, paymentId, { now });
        break;
      }
      case 'janitor':
        await janitor();
        break;
      case 'runDue':
        await executeDue();
        break;
      case 'refund': {
        const posted = await postedPayments('card');
        if (!posted.length) break;
        const payment = posted[op.pick % posted.length]!;
        const left = await sql<{ left: bigint }>`
          SELECT (p.amount_cents - coalesce((SELECT sum(r.amount_cents) FROM payment_refunds r
            WHERE r.payment_id = p.id AND r.status = 'succeeded'), 0))::int8 AS left
          FROM payments p WHERE p.id = ${payment.id}`.execute(db);
        const amountCents = BigInt(Math.ceil(Number(left.rows[0]!.left) * op.fraction));
        if (amountCents <= 0n) break;
        await refundPayment(db, processors, actor, payment.id, { amountCents, reason: 'model' });
        break;
      }
      case 'settleAch':
        now = new Date(now.getTime() + 3 * DAY_MS);
        await deliver(sandbox.advanceDays(3));
        break;
      case 'chargeback': {
        const posted = await postedPayments('card');
        if (!posted.length) break;
        await deliver([sandbox.chargeback(posted[op.pick % posted.length]!.reference)]);
        break;
      }
      case 'lateReturn': {
        const posted = await postedPayments('ach');
        if (!posted.length) break;
        await deliver([sandbox.returnCharge(posted[op.pick % posted.length]!.reference, 'R10')]);
        break;
      }
      case 'redeliver':
        if (delivered.length) await deliver([delivered[op.pick % delivered.length]!]);
        break;
    }
    await checkInvariants(db, sandbox, agency.id, { inFlightAllowed: true });
  }

  // The end of the day: the janitor resolves every lost response, what it sent back is executed,
  // pending debits settle; then no charge may be left in flight.
  await janitor();
  await executeDue();
  await janitor();
  now = new Date(now.getTime() + 3 * DAY_MS);
  await deliver(sandbox.advanceDays(3));
  await checkInvariants(db, sandbox, agency.id, { inFlightAllowed: false });
}

async function checkInvariants(
  db: Db,
  sandbox: Sandbox,
  agencyId: string,
  options: { inFlightAllowed: boolean },
): Promise<void> {
  // Debits = credits, per currency.
  const totals = await sql<{ currency: string; net: bigint; debits: bigint; credits: bigint }>`
    SELECT currency, sum(amount_cents)::int8 AS net,
           coalesce(sum(amount_cents) FILTER (WHERE amount_cents > 0), 0)::int8 AS debits,
           coalesce(-sum(amount_cents) FILTER (WHERE amount_cents < 0), 0)::int8 AS credits
    FROM journal_lines WHERE agency_id = ${agencyId} GROUP BY currency`.execute(db);
  for (const row of totals.rows) {
    assert.equal(row.net, 0n, `${row.currency} lines sum to 0`);
    assert.equal(row.debits, row.credits);
  }

  // Applied per invoice from the receipt records: applications of receipts not reversed, less
  // what refunds of those receipts unwound (by the refund rule, recomputed here), plus On Account
  // applications.
  const applied = new Map<string, bigint>();
  const add = (invoiceId: string, cents: bigint) => applied.set(invoiceId, (applied.get(invoiceId) ?? 0n) + cents);
  const applications = await sql<{ receipt_id: string; invoice_id: string; applied_cents: bigint }>`
    SELECT a.receipt_id, a.invoice_id, a.applied_cents FROM receipt_applications a JOIN receipts r ON r.id = a.receipt_id
    WHERE r.agency_id = ${agencyId} AND a.invoice_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM receipt_reversals v WHERE v.receipt_id = a.receipt_id)
    ORDER BY a.receipt_id, a.sequence`.execute(db);
  const byReceipt = new Map<string, { invoiceId: string; appliedCents: bigint }[]>();
  for (const a of applications.rows) {
    add(a.invoice_id, a.applied_cents);
    byReceipt.set(a.receipt_id, [
      ...(byReceipt.get(a.receipt_id) ?? []),
      { invoiceId: a.invoice_id, appliedCents: a.applied_cents },
    ]);
  }
  const refunds = await sql<{ receipt_id: string; on_account_cents: bigint; amount_cents: bigint }>`
    SELECT r.id AS receipt_id, r.on_account_cents, f.amount_cents
    FROM payment_refunds f JOIN payments p ON p.id = f.payment_id JOIN receipts r ON r.id = p.receipt_id
    WHERE f.agency_id = ${agencyId} AND f.status = 'succeeded'
      AND NOT EXISTS (SELECT 1 FROM receipt_reversals v WHERE v.receipt_id = r.id)
    ORDER BY f.created_at, f.id`.execute(db);
  const refundedSoFar = new Map<string, bigint>();
  for (const refund of refunds.rows) {
    const already = refundedSoFar.get(refund.receipt_id) ?? 0n;
    for (const bucket of allocateRefund(
      refund.on_account_cents,
      byReceipt.get(refund.receipt_id) ?? [],
      already,
      refund.amount_cents,
    )) {
      if (bucket.invoiceId) add(bucket.invoiceId, -bucket.cents);
    }
    refundedSoFar.set(refund.receipt_id, already + refund.amount_cents);
  }
  const onAccountApplied = await sql<{ invoice_id: string; cents: bigint }>`
    SELECT l.invoice_id, -sum(l.amount_cents)::int8 AS cents FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
    WHERE e.agency_id = ${agencyId} AND e.kind = 'on_account_application' AND l.account = 'accounts_receivable'
    GROUP BY l.invoice_id`.execute(db);
  for (const row of onAccountApplied.rows) add(row.invoice_id, row.cents);

  const invoices = await sql<{ id: string; invoice_number: number; amount: bigint; balance: bigint }>`
    SELECT i.id, i.invoice_number, i.amount_cents AS amount,
      (SELECT coalesce(sum(j.amount_cents), 0) FROM journal_lines j
        WHERE j.invoice_id = i.id AND j.account = 'accounts_receivable')::int8 AS balance
    FROM invoices i WHERE i.agency_id = ${agencyId}`.execute(db);
  for (const invoice of invoices.rows) {
    const expected = invoice.amount - (applied.get(invoice.id) ?? 0n);
    assert.equal(invoice.balance, expected, `invoice ${invoice.invoice_number}: balance = amount − applied`);
    assert.ok(invoice.balance >= 0n, `invoice ${invoice.invoice_number}: balance ≥ 0`);
  }

  // Cash at the processor: what its charges brought in, less refunds, returns and chargebacks. The
  // sandbox serves this agency only, so all its charges are this agency's.
  const charges = sandbox.charges();
  const chargebacks = new Map(
    sandbox
      .events()
      .filter((e) => e.type === 'payment.chargeback')
      .map((e) => [e.data.charge, e.data.amountCents]),
  );
  const open = new Set(
    (
      await sql<{ key: string }>`
        SELECT idempotency_key AS key FROM payment_attempts WHERE agency_id = ${agencyId} AND status IN ('started', 'unknown')`.execute(
        db,
      )
    ).rows.map((r) => r.key),
  );
  if (!options.inFlightAllowed) assert.equal(open.size, 0, 'no attempt left in flight at the end');
  let processorCash = 0n;
  let inFlightCash = 0n;
  for (const charge of charges) {
    if (charge.status !== 'succeeded' && charge.status !== 'settled') continue;
    const cash = charge.amountCents - charge.refundedCents - (chargebacks.get(charge.id) ?? 0n);
    processorCash += cash;
    // A charge whose answer was lost is money the ledger learns of when the janitor asks.
    if (open.has(charge.idempotencyKey)) inFlightCash += cash;
  }
  const ledger = await sql<{ cash: bigint }>`
    SELECT coalesce(sum(l.amount_cents), 0)::int8 AS cash FROM journal_lines l
    WHERE l.agency_id = ${agencyId} AND l.account = 'cash' AND l.entry_id IN (
      SELECT r.journal_entry_id FROM payments p JOIN receipts r ON r.id = p.receipt_id WHERE p.agency_id = ${agencyId}
      UNION ALL
      SELECT v.journal_entry_id FROM payments p JOIN receipt_reversals v ON v.receipt_id = p.receipt_id WHERE p.agency_id = ${agencyId}
      UNION ALL
      SELECT f.journal_entry_id FROM payment_refunds f WHERE f.agency_id = ${agencyId} AND f.journal_entry_id IS NOT NULL)`.execute(
    db,
  );
  assert.equal(ledger.rows[0]!.cash, processorCash - inFlightCash, 'cash at the processor = cash in the ledger');
}
