import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A test double of AMS360's `POST /receipt/customer` as a real HTTP server. It records receipts,
 * de-duplicates them like the AMS would (the same Idempotency-Key replays the first answer; a known
 * X-External-Reference under another key is a "duplicate reference" 409) and injects faults:
 *
 * - `500`: answers 500, records nothing; `record-then-500`: records, then answers 500;
 * - `hang`: never answers, records nothing; `record-then-hang`: records, never answers;
 * - `drop`: destroys the connection before recording; `record-then-drop`: records, then destroys
 *   it (the lost response);
 * - `reject`: a 422 problem for a body the AMS cannot take;
 * - `die`: the whole server goes down with every open connection, and stays down until `restart()`.
 *
 * `GET /receipt/customer?externalReference=…` lists the receipts recorded with a reference.
 *
 * `handle()` can be mounted on another node:http server.
 */
export type ReceiptFault =
  | '500'
  | 'record-then-500'
  | 'hang'
  | 'record-then-hang'
  | 'drop'
  | 'record-then-drop'
  | 'reject'
  | 'die';

export interface RecordedReceipt {
  amsReceiptId: string;
  idempotencyKey: string | null;
  reference: string | null;
  body: Record<string, unknown>;
  receivedAt: Date;
}

export interface AmsReceiptDoubleOptions {
  /** Required on every request when set. */
  authHeader?: { name: string; value: string };
  /**
   * What a repeated Idempotency-Key gets: the first answer again (default), a duplicate 409, or
   * nothing special (`ignore`: an AMS that de-duplicates neither keys nor references).
   */
  repeatedKey?: 'replay' | 'duplicate' | 'ignore';
  /** Each request draws a fault with this probability (for the crash test). */
  randomFaults?: { rate: number; faults: ReceiptFault[]; random?: () => number };
}

interface StoredAnswer {
  status: number;
  body: unknown;
}

export class AmsReceiptDouble {
  readonly #options: AmsReceiptDoubleOptions;
  readonly #records: RecordedReceipt[] = [];
  readonly #byKey = new Map<string, StoredAnswer>();
  readonly #byReference = new Map<string, RecordedReceipt>();
  readonly #faults: ReceiptFault[] = [];
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  #port = 0;
  /** Every POST that reached the handler, faulted or not. */
  requests = 0;

  constructor(options: AmsReceiptDoubleOptions = {}) {
    this.#options = options;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get running(): boolean {
    return this.#server !== null;
  }

  receipts(): RecordedReceipt[] {
    return [...this.#records];
  }

  /** How many receipts the AMS holds for one of our references: the exactly-once count. */
  countFor(reference: string): number {
    return this.#records.filter((r) => r.reference === reference).length;
  }

  /** The next requests meet these faults, in order. */
  injectFaults(...faults: ReceiptFault[]): void {
    this.#faults.push(...faults);
  }

  setRandomFaults(randomFaults: AmsReceiptDoubleOptions['randomFaults']): void {
    this.#options.randomFaults = randomFaults;
  }

  async start(port = 0): Promise<string> {
    const server = createServer((request, response) => {
      if (!this.handle(request, response)) {
        sendJson(response, 404, problem('not-found', 'Not found', `no route ${request.method} ${request.url}`));
      }
    });
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port || this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this.url;
  }

  /** Comes back on the same port, with everything it had recorded (a restarted AMS keeps its data). */
  async restart(): Promise<void> {
    if (!this.#server) await this.start(this.#port);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    for (const socket of this.#sockets) socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Handles `POST /receipt/customer`; false for any other request, so a host server can route it. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const [path = '', query = ''] = (request.url ?? '').split('?');
    if (!path.endsWith('/receipt/customer')) return false;
    if (request.method === 'GET') {
      this.#lookup(request, response, new URLSearchParams(query));
      return true;
    }
    if (request.method !== 'POST') return false;
    void this.#serve(request, response).catch(() => response.destroy());
    return true;
  }

  /** `GET /receipt/customer?externalReference=…`: the receipts recorded with that reference. */
  #lookup(request: IncomingMessage, response: ServerResponse, query: URLSearchParams): void {
    const auth = this.#options.authHeader;
    if (auth && request.headers[auth.name.toLowerCase()] !== auth.value) {
      sendJson(response, 401, problem('unauthorized', 'Unauthorized', `missing or wrong ${auth.name}`));
      return;
    }
    const reference = query.get('externalReference');
    const matches = this.#records.filter((r) => reference !== null && r.reference === reference);
    sendJson(response, 200, {
      data: matches.map((r) => ({ receiptId: r.amsReceiptId, externalReference: r.reference })),
    });
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.requests++;
    const text = await readBody(request);
    const auth = this.#options.authHeader;
    if (auth && request.headers[auth.name.toLowerCase()] !== auth.value) {
      sendJson(response, 401, problem('unauthorized', 'Unauthorized', `missing or wrong ${auth.name}`));
      return;
    }
    const fault = this.#nextFault();
    if (fault === 'die') {
      void this.stop();
      return;
    }
    if (fault === 'drop') return void response.socket?.destroy();
    if (fault === 'hang') return;
    if (fault === '500') {
      sendJson(response, 500, problem('internal', 'Internal Server Error', 'injected fault'));
      return;
    }
    if (fault === 'reject') {
      sendJson(response, 422, {
        ...problem('invalid-receipt', 'Unprocessable receipt', 'bankShortName is not a bank of this agency'),
        errors: [{ path: 'bankShortName', message: 'unknown bank' }],
      });
      return;
    }

    const key = header(request, 'idempotency-key');
    const reference = header(request, 'x-external-reference');
    const deduplicates = this.#options.repeatedKey !== 'ignore';
    const stored = key && deduplicates ? this.#byKey.get(key) : undefined;
    if (stored) {
      if (this.#options.repeatedKey === 'duplicate') {
        sendJson(response, 409, duplicate(reference ?? key ?? ''));
      } else {
        sendJson(response, stored.status, stored.body, { 'idempotent-replayed': 'true' });
      }
      return;
    }
    const known = reference && deduplicates ? this.#byReference.get(reference) : undefined;
    if (known) {
      sendJson(response, 409, { ...duplicate(reference ?? ''), receiptId: known.amsReceiptId });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      sendJson(response, 400, problem('malformed', 'Malformed JSON', 'the body is not JSON'));
      return;
    }
    const invalid = validate(body);
    if (invalid) {
      sendJson(response, 422, {
        ...problem('invalid-receipt', 'Unprocessable receipt', invalid.message),
        errors: [invalid],
      });
      return;
    }

    const record: RecordedReceipt = {
      amsReceiptId: `R${100_000 + this.#records.length + 1}`,
      idempotencyKey: key,
      reference,
      body,
      receivedAt: new Date(),
    };
    this.#records.push(record);
    if (reference) this.#byReference.set(reference, record);
    const answer: StoredAnswer = {
      status: 201,
      body: { receiptId: record.amsReceiptId, customerNumber: body.customerNumber, receiptAmount: body.receiptAmount },
    };
    if (key) this.#byKey.set(key, answer);

    if (fault === 'record-then-drop') return void response.socket?.destroy();
    if (fault === 'record-then-hang') return;
    if (fault === 'record-then-500') {
      sendJson(response, 500, problem('internal', 'Internal Server Error', 'injected fault after recording'));
      return;
    }
    sendJson(response, answer.status, answer.body);
  }

  #nextFault(): ReceiptFault | undefined {
    const queued = this.#faults.shift();
    if (queued) return queued;
    const random = this.#options.randomFaults;
    if (!random || random.faults.length === 0) return undefined;
    const draw = random.random ?? Math.random;
    if (draw() >= random.rate) return undefined;
    return random.faults[Math.floor(draw() * random.faults.length)];
  }
}

/** Starts a double on its own loopback port. */
export async function startAmsReceiptDouble(
  options: AmsReceiptDoubleOptions & { port?: number } = {},
): Promise<AmsReceiptDouble> {
  const double = new AmsReceiptDouble(options);
  await double.start(options.port ?? 0);
  return double;
}

/** AMS360's own rules for the request, enough to refuse what the real one would. */
function validate(body: Record<string, unknown>): { path: string; message: string } | null {
  if (!Number.isInteger(body.customerNumber)) return { path: 'customerNumber', message: 'must be an integer' };
  const items = body.invoiceInformations;
  if (!Array.isArray(items) || items.length === 0) {
    return { path: 'invoiceInformations', message: 'must contain at least one item' };
  }
  if (typeof body.receiptAmount !== 'number' || body.receiptAmount <= 0) {
    return { path: 'receiptAmount', message: 'may not be zero or negative' };
  }
  let total = 0;
  for (const [index, item] of items.entries()) {
    const amount = (item as { paymentAmount?: unknown }).paymentAmount;
    if (typeof amount !== 'number' || amount <= 0) {
      return { path: `invoiceInformations/${index}/paymentAmount`, message: 'must be greater than zero' };
    }
    total += Math.round(amount * 100);
  }
  if (total !== Math.round(body.receiptAmount * 100)) {
    return { path: 'receiptAmount', message: 'must equal the sum of the paymentAmounts' };
  }
  for (const field of ['receiptDate', 'receiptDateTimeZone', 'bankShortName', 'paymentCheckType']) {
    if (typeof body[field] !== 'string' || body[field] === '') return { path: field, message: 'is required' };
  }
  return null;
}

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function problem(code: string, title: string, detail: string) {
  return { type: `https://ams360.example/problems/${code}`, title, detail, code };
}

function duplicate(reference: string) {
  return problem('duplicate_reference', 'Duplicate external reference', `receipt ${reference} already exists`);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.destroyed || response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
