// Runs one sequence of the ledger model's steps against the services and the sandbox, checking the
// invariants after every step (the property test is ledger-model.test.ts).
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { updatePaymentSettings } from '../../src/agency/payment-settings.ts';
import { createCustomer } from '../../src/customers/customers.ts';
import type { Actor } from '../../src/kernel/actor.ts';
import { createInvoice } from '../../src/ledger/invoices.ts';
import { applyOnAccountCredit } from '../../src/ledger/on-account.ts';
import { postCustomerReceipt } from '../../src/ledger/receipt-posting.ts';
import { reverseReceipt } from '../../src/ledger/receipt-reversals.ts';
import { createPayment } from '../../src/payments/creation/create.ts';
import { executePayment } from '../../src/payments/execution.ts';
import { runPaymentJanitor } from '../../src/payments/janitor.ts';
import { savePaymentMethod } from '../../src/payments/methods.ts';
import { handleProcessorEvent } from '../../src/payments/processor-events.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import type { Processors } from '../../src/payments/processors/processor.ts';
import { presentEvent } from '../../src/payments/processors/sandbox/present.ts';
import type { Sandbox } from '../../src/payments/processors/sandbox/server.ts';
import { SIGNATURE_HEADER, signatureHeader } from '../../src/payments/processors/sandbox/signature.ts';
import type { SandboxEvent } from '../../src/payments/processors/sandbox/state.ts';
import { refundPayment } from '../../src/payments/refunds.ts';
import type { Db } from '../../src/platform/db/transaction.ts';
import { foldAgingDeltas } from '../../src/reports/aging.ts';
import { achToken, cardToken } from '../payments/processors/helpers.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { checkInvariants } from './ledger-model-invariants.ts';
import { DAY_MS, type Instrument, instruments, type Op, refused, SECRET, T0 } from './ledger-model-ops.ts';

export async function runModel(db: Db, sandbox: Sandbox, ops: Op[], withFee: boolean): Promise<void> {
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
        const amountCents = targetCents + BigInt(op.extra);
        // With fees, every payment also carries a 2 % convenience fee (issue 20.3): charged with the
        // amount, its own ledger line, refunded pro rata, reversed with the receipt.
        const feeCents = withFee ? (amountCents * 2n) / 100n : 0n;
        let paymentId: string;
        try {
          const payment = await createPayment(
            db,
            actor,
            {
              customerNumber: customer.number,
              type,
              amountCents,
              currency: 'USD',
              paymentMethodId: customer.methods[op.instrument],
              targets: [{ invoiceNumber, amountCents: targetCents }],
              channel: 'agent_sweep',
              fee: feeCents > 0n ? { cents: feeCents, ruleId: 'ledger-model' } : undefined,
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
      case 'foldAging':
        await foldAgingDeltas(db);
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
