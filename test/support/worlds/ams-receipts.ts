import { sql } from 'kysely';
import { createBank } from '../../../src/agency/banks.ts';
import { createCustomer } from '../../../src/customers/customers.ts';
import { createInvoice } from '../../../src/ledger/invoices.ts';
import { postCustomerReceipt } from '../../../src/ledger/receipt-posting.ts';
import { createPayment } from '../../../src/payments/creation/create.ts';
import { executePayment } from '../../../src/payments/execution.ts';
import { savePaymentMethod } from '../../../src/payments/methods.ts';
import { createProcessors } from '../../../src/payments/processor-registry.ts';
import type { Processors } from '../../../src/payments/processors/processor.ts';
import { type Sandbox, startSandbox } from '../../../src/payments/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { saveAmsReceiptConnector } from '../../../src/sync/ams360-receipts/connector.ts';
import { openTestDatabase, type Target } from '../db.ts';
import { type AmsReceiptDouble, startAmsReceiptDouble } from '../doubles/ams360-receipt-double.ts';
import { createTestAgency, type TestAgency } from '../fixtures.ts';
import { tokenizeCard } from '../payments.ts';

export const AMS_AUTH = { name: 'Authorization', value: 'Bearer ams-test-key' };

/** A database, an agency with a bank and a customer with a saved card, the sandbox processor and an AMS double. */
export interface AmsReceiptWorld {
  database: DatabaseHandle;
  agency: TestAgency;
  sandbox: Sandbox;
  processors: Processors;
  ams: AmsReceiptDouble;
  customerNumber: number;
  paymentMethodId: string;
  close(): Promise<void>;
}

export async function startAmsReceiptWorld(
  target: Target,
  options: { timeoutMs?: number } = {},
): Promise<AmsReceiptWorld> {
  const database = await openTestDatabase(target);
  const db = database.db;
  const agency = await createTestAgency(db);
  await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
  const sandbox = await startSandbox({ webhookSecret: 'whsec_ams_receipts' });
  const processors = createProcessors({
    sandboxUrl: sandbox.url,
    sandboxWebhookSecret: 'whsec_ams_receipts',
    sandboxTimeoutMs: 1_500,
  });
  const ams = await startAmsReceiptDouble({ authHeader: AMS_AUTH });
  await saveAmsReceiptConnector(db, agency.actor, {
    baseUrl: ams.url,
    authHeader: AMS_AUTH,
    timeoutMs: options.timeoutMs ?? 300,
  });
  const customer = await createCustomer(db, agency.actor, { type: 'individual', name: 'Ada Lovelace' });
  const method = await savePaymentMethod(db, processors, agency.actor, customer.customerNumber, {
    processor: 'sandbox',
    token: await tokenizeCard(sandbox, CARD_SUCCEEDS),
  });
  return {
    database,
    agency,
    sandbox,
    processors,
    ams,
    customerNumber: customer.customerNumber,
    paymentMethodId: method.id,
    async close() {
      await ams.stop();
      await sandbox.close();
      await database.close();
    },
  };
}

/** A card payment for a new invoice, executed through the payments engine until it is posted. */
export async function postedPayment(
  world: AmsReceiptWorld,
  amountCents = 12_345n,
): Promise<{ paymentId: string; receiptNumber: number; invoiceNumber: number; reference: string }> {
  const db = world.database.db;
  const invoice = await createInvoice(db, world.agency.actor, {
    customerNumber: world.customerNumber,
    dueDate: '2026-12-01',
    amountCents,
  });
  const payment = await createPayment(db, world.agency.actor, {
    customerNumber: world.customerNumber,
    type: 'card',
    amountCents,
    currency: 'USD',
    paymentMethodId: world.paymentMethodId,
    targets: [{ invoiceNumber: invoice.invoiceNumber, amountCents }],
    channel: 'secure_checkout',
  });
  const result = await executePayment(db, world.processors, payment.id);
  if (result.status !== 'succeeded') throw new Error(`payment did not succeed: ${JSON.stringify(result)}`);
  const row = await db
    .selectFrom('payments')
    .innerJoin('receipts', 'receipts.id', 'payments.receipt_id')
    .select(['payments.state', 'receipts.receipt_number'])
    .where('payments.id', '=', payment.id)
    .executeTakeFirstOrThrow();
  if (row.state !== 'posted') throw new Error(`payment is ${row.state}`);
  return {
    paymentId: payment.id,
    receiptNumber: row.receipt_number,
    invoiceNumber: invoice.invoiceNumber,
    reference: `PP-${row.receipt_number}`,
  };
}

/** Receipts as the payments engine posts them (source `payment`), without going through the processor. */
export async function postPaymentReceipts(
  world: { database: DatabaseHandle; agency: TestAgency; customerNumber: number },
  count: number,
): Promise<string[]> {
  const references: string[] = [];
  for (let i = 0; i < count; i++) {
    const receipt = await postCustomerReceipt(
      world.database.db,
      world.agency.actor,
      {
        customerNumber: world.customerNumber,
        items: [{ amountCents: BigInt(1_000 + i) }],
        receiptAmountCents: BigInt(1_000 + i),
        receiptDate: '2026-11-20',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'CreditCard',
      },
      { source: 'payment' },
    );
    references.push(`PP-${receipt.receiptNumber}`);
  }
  return references;
}

export async function exportStatuses(database: DatabaseHandle): Promise<Record<string, number>> {
  const rows = await sql<{
    status: string;
    n: bigint;
  }>`SELECT status, count(*) AS n FROM ams_receipt_exports GROUP BY status`.execute(database.db);
  return Object.fromEntries(rows.rows.map((r) => [r.status, Number(r.n)]));
}
