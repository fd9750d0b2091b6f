import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that answers like Stripe's API for exactly the calls the Stripe adapter
 * makes: retrieve a PaymentMethod, create a PaymentIntent (idempotency keys honoured, Stripe's
 * card-error shape), search and list PaymentIntents, create a Refund. Every request is recorded.
 *
 * PaymentMethods (ids in the style of Stripe's test PaymentMethods):
 * - pm_card_visa, pm_usBankAccount: succeed (the ACH one is `processing`)
 * - pm_card_chargeDeclinedInsufficientFunds, pm_card_chargeDeclinedStolenCard,
 *   pm_card_authenticationRequired: 402 card errors
 * - pm_card_fail500 (500), pm_card_rateLimited (429), pm_card_hang (never answers)
 * - pm_card_lostResponseOnce: the PaymentIntent is created, the first response is lost
 * - pm_card_lostResponseAlways: created, and every response to that key is lost
 * - pm_sepa: a kind policypay does not take
 */

export const FAKE_SECRET_KEY = 'sk_test_fake_policypay';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  form: Record<string, string>;
}

type Json = Record<string, any>;

const card = (
  id: string,
  brand: string,
  last4: string,
  customer: string | null = 'cus_fake',
  funding: 'credit' | 'debit' | 'prepaid' = 'credit',
) => ({
  id,
  object: 'payment_method',
  type: 'card',
  customer,
  billing_details: { name: 'Dana Client', email: null, phone: null, address: null },
  card: { brand, last4, exp_month: 12, exp_year: 2031, funding, country: 'US' },
  created: 1_700_000_000,
  livemode: false,
  metadata: {},
});

const PAYMENT_METHODS: Record<string, Json> = {
  pm_card_visa: card('pm_card_visa', 'visa', '4242'),
  pm_card_visa_unattached: card('pm_card_visa_unattached', 'visa', '4242', null),
  // Stripe's test debit card: its funding decides convenience fees (issue 20.3).
  pm_card_visa_debit: card('pm_card_visa_debit', 'visa', '5556', 'cus_fake', 'debit'),
  pm_card_chargeDeclinedInsufficientFunds: card('pm_card_chargeDeclinedInsufficientFunds', 'visa', '9995'),
  pm_card_chargeDeclinedStolenCard: card('pm_card_chargeDeclinedStolenCard', 'visa', '9979'),
  pm_card_authenticationRequired: card('pm_card_authenticationRequired', 'visa', '3184'),
  pm_card_fail500: card('pm_card_fail500', 'visa', '0500'),
  pm_card_rateLimited: card('pm_card_rateLimited', 'visa', '0429'),
  pm_card_hang: card('pm_card_hang', 'visa', '0408'),
  pm_card_lostResponseOnce: card('pm_card_lostResponseOnce', 'visa', '0001'),
  pm_card_lostResponseAlways: card('pm_card_lostResponseAlways', 'visa', '0002'),
  pm_usBankAccount: {
    id: 'pm_usBankAccount',
    object: 'payment_method',
    type: 'us_bank_account',
    customer: 'cus_fake',
    billing_details: { name: 'Dana Client' },
    us_bank_account: {
      bank_name: 'STRIPE TEST BANK',
      last4: '6789',
      account_type: 'checking',
      routing_number: '110000000',
    },
    created: 1_700_000_000,
    livemode: false,
    metadata: {},
  },
  pm_sepa: {
    id: 'pm_sepa',
    object: 'payment_method',
    type: 'sepa_debit',
    customer: null,
    billing_details: { name: 'Dana Client' },
    sepa_debit: { last4: '3000' },
    created: 1_700_000_000,
    livemode: false,
    metadata: {},
  },
};

const DECLINES: Record<string, { code: string; decline_code: string; message: string }> = {
  pm_card_chargeDeclinedInsufficientFunds: {
    code: 'card_declined',
    decline_code: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_chargeDeclinedStolenCard: {
    code: 'card_declined',
    decline_code: 'stolen_card',
    message: 'Your card was declined.',
  },
  pm_card_authenticationRequired: {
    code: 'authentication_required',
    decline_code: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
};

function stripeError(status: number, type: string, message: string, extra: Json = {}) {
  return { status, body: { error: { type, message, ...extra } } };
}

/**
 * `secretKeys`: the accounts it answers for (default the one FAKE_SECRET_KEY). Each account sees
 * only its own PaymentIntents, as separate Stripe accounts do: another account's is "No such".
 */
export async function startFakeStripe(options: { now?: () => Date; secretKeys?: readonly string[] } = {}) {
  const now = options.now ?? (() => new Date());
  const accounts = new Set((options.secretKeys ?? [FAKE_SECRET_KEY]).map((key) => `Bearer ${key}`));
  /** PaymentIntent id → the authorization (account) that created it. */
  const owners = new Map<string, string>();
  const own = (account: string) => [...intents.values()].filter((pi) => owners.get(pi.id) === account);
  const requests: RecordedRequest[] = [];
  const intents = new Map<string, Json>();
  const refunds = new Map<string, Json>();
  const replies = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const hanging = new Set<ServerResponse>();
  const state = { searchLagging: false, sequence: 0, createAttempts: new Map<string, number>() };
  const nextId = (prefix: string) => `${prefix}_fake${String(++state.sequence).padStart(6, '0')}`;

  const createIntent = (form: Record<string, string>, account: string) => {
    const amount = Number(form.amount);
    if (!Number.isInteger(amount) || amount < 50) {
      return stripeError(400, 'invalid_request_error', 'Amount must be at least $0.50 usd', {
        code: 'amount_too_small',
        param: 'amount',
      });
    }
    const pm = PAYMENT_METHODS[form.payment_method ?? ''];
    if (!pm) return stripeError(400, 'invalid_request_error', 'No such PaymentMethod', { code: 'resource_missing' });
    if (pm.customer && form.customer !== pm.customer) {
      return stripeError(400, 'invalid_request_error', 'The provided PaymentMethod belongs to a Customer.', {
        code: 'payment_intent_invalid_parameter',
      });
    }
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(form)) {
      const m = /^metadata\[(.+)\]$/.exec(key);
      if (m) metadata[m[1]!] = value;
    }
    const decline = DECLINES[pm.id];
    const intent: Json = {
      id: nextId('pi'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency: form.currency,
      customer: form.customer ?? null,
      description: form.description ?? null,
      metadata,
      payment_method: pm.id,
      payment_method_types: [pm.type],
      confirmation_method: 'automatic',
      capture_method: 'automatic_async',
      created: Math.floor(now().getTime() / 1000),
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      status: pm.type === 'us_bank_account' ? 'processing' : 'succeeded',
    };
    if (intent.status === 'succeeded') {
      intent.amount_received = amount;
      intent.latest_charge = nextId('ch');
    }
    if (decline) {
      intent.status = 'requires_payment_method';
      intent.last_payment_error = { type: 'card_error', ...decline, payment_method: pm };
    }
    intents.set(intent.id, intent);
    owners.set(intent.id, account);
    if (decline) return stripeError(402, 'card_error', decline.message, { ...decline, payment_intent: intent });
    return { status: 200, body: intent };
  };

  const createRefund = (form: Record<string, string>, account: string) => {
    const found = intents.get(form.payment_intent ?? '');
    const intent = found && owners.get(found.id) === account ? found : undefined;
    if (!intent) {
      return stripeError(404, 'invalid_request_error', `No such payment_intent: '${form.payment_intent}'`, {
        code: 'resource_missing',
      });
    }
    if (intent.status !== 'succeeded') {
      return stripeError(400, 'invalid_request_error', 'This PaymentIntent has no successful charge to refund.', {
        code: 'charge_not_refundable',
      });
    }
    const refunded = [...refunds.values()]
      .filter((r) => r.payment_intent === intent.id)
      .reduce((sum, r) => sum + r.amount, 0);
    const amount = form.amount ? Number(form.amount) : intent.amount - refunded;
    if (amount > intent.amount - refunded) {
      return stripeError(400, 'invalid_request_error', 'Refund amount is greater than unrefunded amount on charge', {
        code: 'amount_too_large',
      });
    }
    const refund = {
      id: nextId('re'),
      object: 'refund',
      amount,
      payment_intent: intent.id,
      charge: intent.latest_charge,
      currency: intent.currency,
      status: intent.metadata.policypay_kind === 'ach' ? 'pending' : 'succeeded',
      created: Math.floor(now().getTime() / 1000),
      metadata: {},
    };
    refunds.set(refund.id, refund);
    return { status: 200, body: refund };
  };

  const search = (query: URLSearchParams, account: string) => {
    const m = /^metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'$/.exec(query.get('query') ?? '');
    if (!m) return stripeError(400, 'invalid_request_error', 'Invalid search query', { code: 'parameter_invalid' });
    const value = m[2]!.replace(/\\(.)/g, '$1');
    const data = state.searchLagging ? [] : own(account).filter((pi) => pi.metadata[m[1]!] === value);
    return {
      status: 200,
      body: { object: 'search_result', data, has_more: false, next_page: null, url: '/v1/payment_intents/search' },
    };
  };

  const list = (query: URLSearchParams, account: string) => {
    const gte = Number(query.get('created[gte]') ?? 0);
    const limit = Math.min(Number(query.get('limit') ?? 10), 100);
    let all = own(account)
      .filter((pi) => pi.created >= gte)
      .reverse();
    const after = query.get('starting_after');
    if (after) all = all.slice(all.findIndex((pi) => pi.id === after) + 1);
    return {
      status: 200,
      body: { object: 'list', data: all.slice(0, limit), has_more: all.length > limit, url: '/v1/payment_intents' },
    };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, record: RecordedRequest, raw: string) => {
    const send = (reply: { status: number; body: unknown }) => {
      res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': `req_${state.sequence}` });
      res.end(JSON.stringify(reply.body));
    };
    const account = req.headers.authorization ?? '';
    if (!accounts.has(account)) {
      return send(stripeError(401, 'invalid_request_error', 'Invalid API Key provided'));
    }
    const { method, path } = record;
    const pmMatch = /^\/v1\/payment_methods\/([^/]+)$/.exec(path);
    if (method === 'GET' && pmMatch) {
      const pm = PAYMENT_METHODS[decodeURIComponent(pmMatch[1]!)];
      return send(
        pm
          ? { status: 200, body: pm }
          : stripeError(404, 'invalid_request_error', 'No such PaymentMethod', { code: 'resource_missing' }),
      );
    }
    if (method === 'GET' && path === '/v1/payment_intents/search') return send(search(record.query, account));
    if (method === 'GET' && path === '/v1/payment_intents') return send(list(record.query, account));
    if (method !== 'POST' || (path !== '/v1/payment_intents' && path !== '/v1/refunds')) {
      return send(stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path})`));
    }

    const pmId = record.form.payment_method ?? '';
    if (path === '/v1/payment_intents') {
      if (pmId === 'pm_card_fail500') return send(stripeError(500, 'api_error', 'Something went wrong on our end.'));
      if (pmId === 'pm_card_rateLimited')
        return send(stripeError(429, 'invalid_request_error', 'Too many requests', { code: 'rate_limit' }));
      if (pmId === 'pm_card_hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
    }
    // Stripe's idempotency: a key replays its first result (2xx and 4xx; 5xx are not kept), and
    // is refused with other parameters.
    const key = req.headers['idempotency-key'];
    const fingerprint = `${method} ${path} ${raw}`;
    const stored = typeof key === 'string' ? replies.get(key) : undefined;
    let reply: { status: number; body: unknown };
    if (stored && stored.fingerprint !== fingerprint) {
      reply = stripeError(
        400,
        'idempotency_error',
        'Keys for idempotent requests can only be used with the same parameters they were first used with.',
      );
    } else if (stored) {
      res.setHeader('idempotent-replayed', 'true');
      reply = stored;
    } else {
      reply = path === '/v1/refunds' ? createRefund(record.form, account) : createIntent(record.form, account);
      if (typeof key === 'string' && reply.status < 500) replies.set(key, { fingerprint, ...reply });
    }
    const attempts = (state.createAttempts.get(String(key)) ?? 0) + 1;
    state.createAttempts.set(String(key), attempts);
    const lose = pmId === 'pm_card_lostResponseAlways' || (pmId === 'pm_card_lostResponseOnce' && attempts === 1);
    if (lose) return void res.socket?.destroy();
    send(reply);
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake-stripe.invalid');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      form: Object.fromEntries(new URLSearchParams(raw)),
    };
    requests.push(record);
    handle(req, res, record, raw);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    intents,
    refunds,
    /** Search answers nothing (Stripe's index lagging behind writes); list still sees everything. */
    set searchLagging(value: boolean) {
      state.searchLagging = value;
    },
    /** Adds n PaymentIntents of someone else (to push a key past the list window's pages). */
    addForeignIntents(n: number) {
      for (let i = 0; i < n; i++) {
        const id = nextId('pi');
        intents.set(id, {
          id,
          object: 'payment_intent',
          amount: 100,
          status: 'succeeded',
          metadata: {},
          created: Math.floor(now().getTime() / 1000),
        });
        // Another customer's, in the (first) account: its list pages show them.
        owners.set(id, [...accounts][0]!);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.socket?.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeStripe = Awaited<ReturnType<typeof startFakeStripe>>;
