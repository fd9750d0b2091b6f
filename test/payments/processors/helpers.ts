import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChargeRequest } from '../../../src/payments/processors/processor.ts';
import { ACH_ROUTING_NUMBER } from '../../../src/payments/processors/sandbox/test-numbers.ts';

/** What a browser page sends to the sandbox's tokenize endpoint. */
export async function tokenizeCard(
  sandboxUrl: string,
  number: string,
  extra: Record<string, unknown> = {},
): Promise<{ status: number; body: any }> {
  return post(`${sandboxUrl}/v1/tokens`, {
    kind: 'card',
    number,
    expMonth: 12,
    expYear: new Date().getUTCFullYear() + 3,
    cvc: number.startsWith('3') ? '1234' : '123',
    holderName: 'Dana Client',
    ...extra,
  });
}

export async function tokenizeAch(sandboxUrl: string, accountNumber: string): Promise<{ status: number; body: any }> {
  return post(`${sandboxUrl}/v1/tokens`, {
    kind: 'ach',
    routingNumber: ACH_ROUTING_NUMBER,
    accountNumber,
    accountType: 'checking',
    holderName: 'Dana Client',
    bankName: 'First Test Bank',
  });
}

/** A token for a test number, asserting tokenization worked. */
export async function cardToken(sandboxUrl: string, number: string): Promise<string> {
  const { status, body } = await tokenizeCard(sandboxUrl, number);
  if (status !== 200) throw new Error(`tokenize answered ${status}: ${JSON.stringify(body)}`);
  return body.token;
}

export async function achToken(sandboxUrl: string, accountNumber: string): Promise<string> {
  const { status, body } = await tokenizeAch(sandboxUrl, accountNumber);
  if (status !== 200) throw new Error(`tokenize answered ${status}: ${JSON.stringify(body)}`);
  return body.token;
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

export interface ReceivedWebhook {
  rawBody: string;
  headers: Record<string, string | undefined>;
}

/**
 * A local webhook receiver: records every delivery with its raw body and headers, answers the
 * statuses queued in `answers` (then 200).
 */
export async function startReceiver() {
  const received: ReceivedWebhook[] = [];
  const answers: number[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    received.push({ rawBody: Buffer.concat(chunks).toString('utf8'), headers: flatten(req.headers) });
    res.writeHead(answers.shift() ?? 200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/sandbox`,
    received,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function flatten(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers)) out[key] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A charge of $123.45 under a fresh idempotency key, as policypay's payment engine asks for one. */
export const chargeRequest = (token: string, extra: Partial<ChargeRequest> = {}): ChargeRequest => ({
  amountCents: 12_345n,
  currency: 'usd',
  token,
  idempotencyKey: `attempt-${randomUUID()}`,
  description: 'Invoice 1001',
  ...extra,
});
