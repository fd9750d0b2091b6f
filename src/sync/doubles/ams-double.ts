import { DoubleServer, invalid, notFound, ok } from './double-server.ts';
import { RecordStore, type StoredRecord } from './record-store.ts';

export const AMS_DOUBLE_API_KEY = 'ams-double-key';

/**
 * An AMS360-like test double: customers with their own ids (`AMS-…`) and customer numbers, and
 * policies. Every create and update raises a `customer.created`/`customer.updated` webhook.
 */
export class AmsDouble {
  readonly customers = new RecordStore();
  readonly policies = new RecordStore();
  readonly server: DoubleServer;
  #nextNumber = 5001;

  constructor(options: { apiKey?: string } = {}) {
    this.server = new DoubleServer(
      'ams',
      { header: 'x-api-key', value: options.apiKey ?? AMS_DOUBLE_API_KEY },
      async (method, path, query, body) => this.#route(method, path, query, body),
    );
  }

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** What an AMS user types in: a new customer, numbered by the AMS. */
  createCustomer(input: Record<string, unknown>, reference?: string): Record<string, unknown> {
    if (reference) {
      const existing = this.customers.byReference(reference);
      if (existing) return present(existing);
    }
    const customerNumber = this.#nextNumber++;
    const record = this.customers.put(
      `AMS-${customerNumber}`,
      { ...pick(input), customerNumber, externalReference: reference ?? null },
      reference,
    );
    this.server.emit('customer.created', present(record));
    return present(record);
  }

  updateCustomer(id: string, changes: Record<string, unknown>): Record<string, unknown> | null {
    const current = this.customers.get(id);
    if (!current) return null;
    const data = { ...current.data, ...pick(changes) };
    if (changes.address && typeof changes.address === 'object') {
      data.address = { ...(current.data.address as object | undefined), ...(changes.address as object) };
    }
    const record = this.customers.put(id, data);
    this.server.emit('customer.updated', present(record));
    return present(record);
  }

  findByName(name: string): Record<string, unknown>[] {
    const wanted = name.trim().toLowerCase();
    return this.customers
      .all()
      .filter((r) => String(r.data.customerName ?? '').toLowerCase() === wanted)
      .map(present);
  }

  async #route(method: string, path: string, query: URLSearchParams, body: unknown) {
    const input = (body ?? {}) as Record<string, unknown>;
    if (method === 'GET' && path === '/customers/changes') {
      const page = this.customers.changesSince(Number(query.get('since') ?? 0), Number(query.get('limit') ?? 100));
      return ok({ items: page.map(present), nextCursor: page.at(-1)?.seq ?? null });
    }
    if (method === 'GET' && path === '/customers') return ok({ items: this.findByName(query.get('name') ?? '') });
    if (method === 'POST' && path === '/customers') {
      if (typeof input.customerName !== 'string' || input.customerName.trim() === '') {
        return invalid('customerName is required');
      }
      const reference = typeof input.externalReference === 'string' ? input.externalReference : undefined;
      return ok(this.createCustomer(input, reference), 201);
    }
    const one = /^\/customers\/([^/]+)$/.exec(path);
    if (one) {
      const id = decodeURIComponent(one[1] as string);
      if (method === 'GET') {
        const record = this.customers.get(id);
        return record ? ok(present(record)) : notFound();
      }
      if (method === 'PUT') {
        const updated = this.updateCustomer(id, input);
        return updated ? ok(updated) : notFound();
      }
    }
    if (method === 'POST' && path === '/policies') {
      const customer = this.customers.get(String(input.customerId ?? ''));
      if (!customer) return invalid('customerId is not a customer');
      const record = this.policies.put(`POL-${this.policies.size + 1}`, { ...input });
      return ok({ policyId: record.id, ...record.data }, 201);
    }
    return notFound();
  }
}

const fields = ['customerName', 'customerType', 'email', 'phone', 'address'] as const;

function pick(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => f in input).map((f) => [f, input[f]]));
}

function present(record: StoredRecord): Record<string, unknown> {
  return { customerId: record.id, ...record.data, version: record.seq };
}
