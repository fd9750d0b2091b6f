import { DoubleServer, invalid, notFound, ok } from './double-server.ts';
import { RecordStore, type StoredRecord } from './record-store.ts';

export const AMS_DOUBLE_API_KEY = 'ams-double-key';

/**
 * An AMS360-like test double: customers with their own ids (`AMS-…`) and customer numbers, and
 * policies (listed in their customer's record). Every create and update raises a
 * `customer.created`/`customer.updated` webhook; adding a policy updates its customer.
 */
export class AmsDouble {
  readonly customers = new RecordStore();
  readonly policies = new RecordStore();
  readonly server: DoubleServer;
  #nextNumber = 5001;
  readonly #policiesOf = new Map<string, Record<string, unknown>[]>();
  readonly #invoicesOf = new Map<string, Record<string, unknown>[]>();

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
      if (existing) return this.#present(existing);
    }
    const customerNumber = this.#nextNumber++;
    const record = this.customers.put(
      `AMS-${customerNumber}`,
      { ...pick(input), customerNumber, externalReference: reference ?? null },
      reference,
    );
    this.server.emit('customer.created', this.#present(record));
    return this.#present(record);
  }

  updateCustomer(id: string, changes: Record<string, unknown>): Record<string, unknown> | null {
    const current = this.customers.get(id);
    if (!current) return null;
    const data = { ...current.data, ...pick(changes) };
    if (changes.address && typeof changes.address === 'object') {
      data.address = { ...(current.data.address as object | undefined), ...(changes.address as object) };
    }
    const record = this.customers.put(id, data);
    this.server.emit('customer.updated', this.#present(record));
    return this.#present(record);
  }

  /** A policy for a customer (what the benefits system's plans become); its customer changes too. */
  addPolicy(customerId: string, input: Record<string, unknown>): Record<string, unknown> | null {
    const customer = this.customers.get(customerId);
    if (!customer) return null;
    const record = this.policies.put(`POL-${this.policies.size + 1}`, { ...input, customerId });
    const policy = {
      policyId: record.id,
      policyNumber: `AMS-P${String(this.policies.size).padStart(6, '0')}`,
      lineOfBusiness: input.lineOfBusiness ?? 'Employee Benefits',
      ...record.data,
    };
    this.#policiesOf.set(customerId, [...(this.#policiesOf.get(customerId) ?? []), policy]);
    const updated = this.customers.put(customerId, customer.data);
    this.server.emit('customer.updated', this.#present(updated));
    return policy;
  }

  /**
   * An invoice the AMS billed (its own number); listed in, and updating, its customer's record.
   * `openBalance` is what the AMS says is still owed (absent: the double does not say).
   */
  addInvoice(
    customerId: string,
    invoice: { invoiceNumber: number; policyNumber: string; dueDate: string; amount: number; openBalance?: number },
  ): Record<string, unknown> | null {
    const customer = this.customers.get(customerId);
    if (!customer) return null;
    this.#invoicesOf.set(customerId, [...(this.#invoicesOf.get(customerId) ?? []), { ...invoice }]);
    const updated = this.customers.put(customerId, customer.data);
    this.server.emit('customer.updated', this.#present(updated));
    return invoice;
  }

  findByName(name: string): Record<string, unknown>[] {
    const wanted = name.trim().toLowerCase();
    return this.customers
      .all()
      .filter((r) => String(r.data.customerName ?? '').toLowerCase() === wanted)
      .map((r) => this.#present(r));
  }

  #present(record: StoredRecord): Record<string, unknown> {
    return {
      customerId: record.id,
      ...record.data,
      policies: this.#policiesOf.get(record.id) ?? [],
      invoices: this.#invoicesOf.get(record.id) ?? [],
      version: record.seq,
    };
  }

  async #route(method: string, path: string, query: URLSearchParams, body: unknown) {
    const input = (body ?? {}) as Record<string, unknown>;
    if (method === 'GET' && path === '/customers/changes') {
      const page = this.customers.changesSince(Number(query.get('since') ?? 0), Number(query.get('limit') ?? 100));
      return ok({ items: page.map((r) => this.#present(r)), nextCursor: page.at(-1)?.seq ?? null });
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
        return record ? ok(this.#present(record)) : notFound();
      }
      if (method === 'PUT') {
        const updated = this.updateCustomer(id, input);
        return updated ? ok(updated) : notFound();
      }
    }
    if (method === 'POST' && path === '/policies') {
      const policy = this.addPolicy(String(input.customerId ?? ''), input);
      return policy ? ok(policy, 201) : invalid('customerId is not a customer');
    }
    return notFound();
  }
}

const fields = ['customerName', 'customerType', 'contactName', 'email', 'phone', 'address'] as const;

function pick(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => f in input).map((f) => [f, input[f]]));
}
