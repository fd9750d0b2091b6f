// The HTTP load generator, run in its own process (forked by http-load.ts) so that the client's own
// work (building requests, parsing responses) and memory are not the server's it measures. Requests
// go through `http-connection.ts`, a lean keep-alive client.
import { HttpConnection } from '../http-connection.ts';
import { type HistogramJson, type LoadResult, runLoad, seededRandom } from '../load.ts';
import { runOpenLoop } from '../open-loop.ts';

export type HttpPlan =
  | {
      kind: 'receipts';
      /** Customers 1…customers, each with invoices (n−1)·2+1 and (n−1)·2+2. */
      customers: number;
      bankShortName: string;
      receiptDate: string;
      timeZone: string;
    }
  | { kind: 'eligibility'; policyPrefix: string; policies: number }
  | { kind: 'account'; customerNumber: number }
  /** GETs of these paths, drawn at random, each answering 200. */
  | { kind: 'paths'; paths: string[] };

export interface HttpLoadJob {
  url: string;
  apiKey: string;
  concurrency: number;
  durationMs: number;
  maxOperations: number;
  seed: number;
  plan: HttpPlan;
  /**
   * Open loop: requests arrive at this rate whatever the answers do, each on an idle connection
   * (opened as needed, at most `maxConnections`). Without it, `concurrency` clients in a closed loop.
   */
  openLoop?: { ratePerSecond: number; maxConnections: number };
}

export interface HttpLoadReply {
  operations: number;
  errors: number;
  elapsedMs: number;
  opsPerSecond: number;
  histogram: HistogramJson;
  firstError?: string;
  /** Open loop only: the rate asked for and the most requests in flight at once. */
  offeredPerSecond?: number;
  peakInFlight?: number;
}

interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  expect: number;
}

function requestMaker(plan: HttpPlan, seed: number): () => Request {
  const random = seededRandom(seed);
  switch (plan.kind) {
    case 'receipts':
      return () => {
        const customer = 1 + Math.floor(random() * plan.customers);
        const first = (customer - 1) * 2 + 1;
        return {
          method: 'POST',
          path: '/api/v1/receipt/customer',
          expect: 201,
          body: JSON.stringify({
            customerNumber: customer,
            invoiceInformations: [
              { invoiceNumber: first, paymentAmount: 1.25 },
              { invoiceNumber: first + 1, paymentAmount: 2.5 },
            ],
            receiptAmount: 3.75,
            receiptDate: plan.receiptDate,
            receiptDateTimeZone: plan.timeZone,
            bankShortName: plan.bankShortName,
            paymentCheckType: 'Check',
          }),
        };
      };
    case 'eligibility':
      return () => {
        const policy = 1 + Math.floor(random() * plan.policies);
        return {
          method: 'GET',
          path: `/api/v1/policies/${plan.policyPrefix}${policy}/payment-eligibility?channel=secure_checkout&actor=external`,
          expect: 200,
        };
      };
    case 'account':
      return () => ({ method: 'GET', path: `/api/v1/customers/${plan.customerNumber}/account`, expect: 200 });
    case 'paths':
      return () => ({ method: 'GET', path: plan.paths[Math.floor(random() * plan.paths.length)]!, expect: 200 });
  }
}

async function main(job: HttpLoadJob): Promise<HttpLoadReply> {
  const target = new URL(job.url);
  const opened: HttpConnection[] = [];
  const idle: HttpConnection[] = [];
  const open = () => {
    const connection = new HttpConnection(target.hostname, Number(target.port));
    opened.push(connection);
    return connection;
  };
  const next = requestMaker(job.plan, job.seed);
  const headers = { authorization: `Bearer ${job.apiKey}`, accept: 'application/json' };
  const postHeaders = { ...headers, 'content-type': 'application/json' };

  const send = async (connection: HttpConnection) => {
    const request = next();
    const response = await connection.request(
      request.method,
      request.path,
      request.body === undefined ? headers : postHeaders,
      request.body,
    );
    if (response.status !== request.expect) {
      const text = response.body.toString('utf8').slice(0, 300);
      throw new Error(`${request.method} ${request.path} → ${response.status}: ${text}`);
    }
  };

  let result: LoadResult & { offeredPerSecond?: number; peakInFlight?: number };
  if (job.openLoop) {
    // One request at a time per connection: an arrival takes an idle one or opens another.
    for (let i = 0; i < job.concurrency; i += 1) idle.push(open());
    result = await runOpenLoop(
      {
        ratePerSecond: job.openLoop.ratePerSecond,
        durationMs: job.durationMs,
        maxInFlight: job.openLoop.maxConnections,
      },
      async () => {
        const connection = idle.pop() ?? open();
        try {
          await send(connection);
        } finally {
          idle.push(connection);
        }
      },
    );
  } else {
    // runLoad's client i always uses connection i: one request at a time on each, like a browser tab.
    const connections = Array.from({ length: job.concurrency }, open);
    result = await runLoad(
      { concurrency: job.concurrency, durationMs: job.durationMs, maxOperations: job.maxOperations },
      (client) => send(connections[client] as HttpConnection),
    );
  }
  for (const connection of opened) connection.close();
  return {
    operations: result.operations,
    errors: result.errors,
    elapsedMs: result.elapsedMs,
    opsPerSecond: result.opsPerSecond,
    histogram: result.histogram.toJSON(),
    ...(result.firstError === undefined ? {} : { firstError: result.firstError }),
    ...(result.offeredPerSecond === undefined ? {} : { offeredPerSecond: result.offeredPerSecond }),
    ...(result.peakInFlight === undefined ? {} : { peakInFlight: result.peakInFlight }),
  };
}

// One long-lived process runs every job in turn; it ends with its parent.
if (process.send) {
  const send = process.send.bind(process);
  process.on('message', (message: { id: number; job: HttpLoadJob }) => {
    main(message.job).then(
      (reply) => send({ id: message.id, ok: true, reply }),
      (error: unknown) =>
        send({ id: message.id, ok: false, error: error instanceof Error ? error.stack : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
