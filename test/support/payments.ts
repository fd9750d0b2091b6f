import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import type { Processors } from '../../src/payments/processors/processor.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { createLogger } from '../../src/platform/log/logger.ts';
import { ensureWebAssets } from '../../src/web/build.ts';
import { openTestDatabase, type Target } from './db.ts';
import { createTestAgency, type TestAgency } from './fixtures.ts';
import { type ApiClient, apiClient } from './http.ts';
import { assertResponsesMatchedDocument, buildTestApp } from './openapi.ts';

export interface PaymentsWorld {
  database: DatabaseHandle;
  agency: TestAgency;
  sandbox: Sandbox;
  processors: Processors;
  app: App;
  url: string;
  api: ApiClient;
  /** Everything the server logged, for the card-number scan. */
  logs: string[];
  close(): Promise<void>;
}

export const WEBHOOK_SECRET = 'whsec_test_policypay_sandbox';

/**
 * A real server, a real sandbox processor (its own HTTP server) whose webhooks come back to the
 * server, and an agency with one bank. `clock` is the server's "now"; `web` serves the built
 * console (one shared build). No workers: a test runs passes and executions itself, on its clock.
 */
export async function startPaymentsWorld(
  target: Target,
  options: { clock?: () => Date; web?: boolean } = {},
): Promise<PaymentsWorld> {
  const database = await openTestDatabase(target);
  const agency = await createTestAgency(database.db);
  await createBank(database.db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
  const sandbox = await startSandbox({ webhookSecret: WEBHOOK_SECRET, webhookRetryDelaysMs: [50, 100] });
  const processors = createProcessors({
    sandboxUrl: sandbox.url,
    sandboxWebhookSecret: WEBHOOK_SECRET,
    sandboxTimeoutMs: 1_500,
  });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const webDir = options.web
    ? (await ensureWebAssets(join(import.meta.dirname, '..', '..', '.cache', 'web'))).dir
    : undefined;
  const app = await buildTestApp({
    database,
    processors,
    logger: createLogger({ level: 'info', destination: stream }),
    ...(webDir ? { webDir } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  sandbox.setWebhookUrl(`${url}/api/v1/webhooks/sandbox`);
  return {
    database,
    agency,
    sandbox,
    processors,
    app,
    url,
    api: apiClient(url, agency.apiKey),
    logs,
    async close() {
      await sandbox.close();
      await app.close();
      await database.close();
      assertResponsesMatchedDocument(app);
    },
  };
}

/** Tokenizes a card at the sandbox, as the browser would: the number never goes to policypay. */
export async function tokenizeCard(sandbox: Sandbox, number: string): Promise<string> {
  const response = await fetch(`${sandbox.url}/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'card', number, expMonth: 12, expYear: 2031, cvc: '737', holderName: 'Jane Smith' }),
  });
  const body = (await response.json()) as { token: string };
  if (!response.ok) throw new Error(`tokenize failed: ${JSON.stringify(body)}`);
  return body.token;
}

export async function tokenizeBankAccount(
  sandbox: Sandbox,
  accountNumber: string,
  routingNumber: string,
): Promise<string> {
  const response = await fetch(`${sandbox.url}/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'ach',
      routingNumber,
      accountNumber,
      accountType: 'checking',
      holderName: 'Jane Smith',
      bankName: 'Test Bank',
    }),
  });
  const body = (await response.json()) as { token: string };
  if (!response.ok) throw new Error(`tokenize failed: ${JSON.stringify(body)}`);
  return body.token;
}

/**
 * Card numbers as a leak scanner sees them: a run of 13–19 digits standing alone (no digit, letter
 * or decimal point either side; a full stop may end a sentence after it), so that a digit run inside
 * a hex hash or token, or a log's responseTime, is no candidate; with a card network's prefix at a
 * length that network issues; passing the Luhn check. Epoch-millisecond timestamps start with 1,
 * which is no network's prefix.
 */
export function findCardNumbers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?<![0-9A-Za-z.])\d{13,19}(?![0-9A-Za-z]|\.\d)/g)) {
    const digits = match[0];
    if (issuedLength(digits) && passesLuhn(digits)) found.push(digits);
  }
  return found;
}

/** Prefixes and lengths: Visa 4 (13, 16, 19), Mastercard 51–55 and 2221–2720 (16), Amex 34/37 (15),
 * Discover 6011, 644–649, 65 (16–19), JCB 3528–3589 (16–19), Diners 36, 38, 300–305 (14–19). */
function issuedLength(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649)) return n >= 16;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16;
  if (p2 === 36 || p2 === 38 || (p3 >= 300 && p3 <= 305)) return n >= 14;
  return false;
}

function passesLuhn(digits: string): boolean {
  let total = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return total % 10 === 0;
}

/**
 * The payments engine tests' steps for one customer of a PaymentsWorld (test/http/payments-*.test.ts).
 * `current` is read at each call: the tests set the world and the customer in `before`.
 */
export function paymentSteps(current: () => { world: PaymentsWorld; customerNumber: number }) {
  let policySeq = 0;

  /** A fresh active policy with one open invoice of `amount`. */
  const openInvoice = async (amount: number, status = 'active') => {
    const { world, customerNumber } = current();
    const policyNumber = `PAY-${++policySeq}`;
    const policy = await world.api.post('/api/v1/policies', {
      customerNumber,
      policyNumber,
      lineOfBusiness: 'Auto',
      effectiveDate: '2026-01-01',
      expirationDate: '2027-01-01',
      premium: amount,
      status,
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    const invoice = await world.api.post('/api/v1/invoices', {
      customerNumber,
      policyNumber,
      dueDate: '2026-11-01',
      amount,
    });
    assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
    return { policyNumber, invoiceNumber: invoice.body.invoiceNumber as number };
  };
  const saveCard = async (number: string) => {
    const { world, customerNumber } = current();
    const token = await tokenizeCard(world.sandbox, number);
    const saved = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
      processor: 'sandbox',
      token,
    });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    return saved.body.id as string;
  };
  const pay = async (methodId: string, invoiceNumber: number, amount: number, type: 'card' | 'ach' = 'card') => {
    const { world, customerNumber } = current();
    const res = await world.api.post('/api/v1/payments', {
      customerNumber,
      type,
      amount,
      paymentMethodId: methodId,
      targets: [{ invoiceNumber, amount }],
      channel: 'secure_checkout',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };
  const payment = async (id: string) => (await current().world.api.get(`/api/v1/payments/${id}`)).body;
  const balance = async (invoiceNumber: number) =>
    (await current().world.api.get(`/api/v1/invoices/${invoiceNumber}`)).body.balance;
  const chargesFor = async (paymentId: string) => {
    const { world } = current();
    const attempts = await sql<{
      key: string;
    }>`SELECT idempotency_key AS key FROM payment_attempts WHERE payment_id = ${paymentId}`.execute(world.database.db);
    return attempts.rows.reduce((total, a) => total + world.sandbox.chargeCount(a.key), 0);
  };
  return { openInvoice, saveCard, pay, payment, balance, chargesFor };
}

/** Waits on a payment's state through the API (the workers execute it), not on a timer. */
export async function settledPayment(api: ApiClient, id: string, states: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const payment = await api.get(`/api/v1/payments/${id}`);
    if (states.includes(payment.body.state)) return;
    if (Date.now() > deadline) assert.fail(`payment ${id} is ${payment.body.state}, not ${states.join('/')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
