import { DoubleServer, invalid, notFound, ok } from './double-server.ts';
import { RecordStore, type StoredRecord } from './record-store.ts';

export const BENEFITS_DOUBLE_TOKEN = 'benefits-double-token';

export interface BenefitsAmsLink {
  url: string;
  apiKey: string;
}

/**
 * A BenefitPoint-like test double: group and individual accounts with plans, ids of its own
 * (`BP-…`), field names of its own, and the AMS customer number when the account came from (or
 * went to) the AMS. Connected to the AMS double it behaves like the reference integration: "the
 * account exists in the AMS" copies it from there by name; otherwise a new account is created in
 * the AMS too; plans become AMS policies. Edits made here never reach the AMS.
 */
export class BenefitsDouble {
  readonly accounts = new RecordStore();
  readonly server: DoubleServer;
  ams: BenefitsAmsLink | null = null;
  #next = 1;
  #plans = 0;

  constructor(options: { token?: string } = {}) {
    this.server = new DoubleServer(
      'benefits',
      { header: 'authorization', value: `Bearer ${options.token ?? BENEFITS_DOUBLE_TOKEN}` },
      async (method, path, query, body) => this.#route(method, path, query, body),
    );
  }

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Loads accounts straight into the store (the benchmark's 100,000), without webhooks. */
  seed(count: number, make: (i: number) => Record<string, unknown>): void {
    for (let i = 0; i < count; i++) this.accounts.put(this.#id(), { plans: [], ...make(i) });
  }

  async createAccount(
    input: Record<string, unknown>,
    options: { existsInAms?: boolean; reference?: string } = {},
  ): Promise<Record<string, unknown>> {
    if (options.reference) {
      const existing = this.accounts.byReference(options.reference);
      if (existing) return present(existing);
    }
    let data: Record<string, unknown> = { plans: [], ...pick(input), externalReference: options.reference ?? null };
    if (options.existsInAms) {
      const found = await this.#amsCall('GET', `/customers?name=${encodeURIComponent(String(input.accountName))}`);
      const items = (found as { items: Record<string, unknown>[] }).items;
      if (items.length !== 1) throw new Error(`${items.length} AMS customers are named ${String(input.accountName)}`);
      data = { ...data, ...fromAms(items[0] as Record<string, unknown>) };
    } else if (this.ams && data.amsCustomerNumber === undefined) {
      const created = (await this.#amsCall('POST', '/customers', toAms(data))) as Record<string, unknown>;
      data.amsCustomerNumber = created.customerNumber;
      data.amsCustomerId = created.customerId;
    }
    return present(this.accounts.put(this.#id(), data, options.reference));
  }

  updateAccount(id: string, changes: Record<string, unknown>): Record<string, unknown> | null {
    const current = this.accounts.get(id);
    if (!current) return null;
    const data: Record<string, unknown> = { ...current.data, ...pick(changes) };
    for (const nested of ['primaryContact', 'address'] as const) {
      if (changes[nested] && typeof changes[nested] === 'object') {
        data[nested] = { ...(current.data[nested] as object | undefined), ...(changes[nested] as object) };
      }
    }
    return present(this.accounts.put(id, data));
  }

  /**
   * A plan (BenefitPoint's word for a policy), with an id of its own. A plan may carry its policy
   * number, premium (dollars), effective and renewal dates; the AMS policy it becomes carries them too.
   */
  async addPlan(
    id: string,
    input: {
      planName: string;
      carrier: string;
      policyNumber?: string;
      premium?: number | string;
      effectiveDate?: string;
      renewalDate?: string;
    },
  ): Promise<Record<string, unknown> | null> {
    const current = this.accounts.get(id);
    if (!current) return null;
    const plan = { planId: `PLAN-${++this.#plans}`, ...input };
    const plans = [...((current.data.plans as unknown[]) ?? []), plan];
    if (this.ams && current.data.amsCustomerId) {
      const { planId: _, renewalDate, ...rest } = plan;
      await this.#amsCall('POST', '/policies', {
        customerId: current.data.amsCustomerId,
        ...rest,
        ...(renewalDate ? { expirationDate: renewalDate } : {}),
      });
    }
    return present(this.accounts.put(id, { ...current.data, plans }));
  }

  #id(): string {
    return `BP-${String(this.#next++).padStart(7, '0')}`;
  }

  async #amsCall(method: string, path: string, body?: unknown): Promise<unknown> {
    if (!this.ams) throw new Error('the benefits double is not connected to an AMS');
    const response = await fetch(`${this.ams.url}${path}`, {
      method,
      headers: { 'x-api-key': this.ams.apiKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`AMS ${method} ${path}: HTTP ${response.status}`);
    return response.json();
  }

  async #route(method: string, path: string, query: URLSearchParams, body: unknown) {
    const input = (body ?? {}) as Record<string, unknown>;
    if (method === 'GET' && path === '/v2/accounts/changes') {
      const page = this.accounts.changesSince(Number(query.get('after') ?? 0), Number(query.get('pageSize') ?? 100));
      return ok({ results: page.map(present), paging: { next: page.at(-1)?.seq ?? null } });
    }
    if (method === 'POST' && path === '/v2/accounts') {
      if (typeof input.accountName !== 'string' || input.accountName.trim() === '') {
        return invalid('accountName is required');
      }
      const reference = typeof input.externalReference === 'string' ? input.externalReference : undefined;
      return ok(await this.createAccount(input, { existsInAms: input.existsInAms === true, reference }), 201);
    }
    const one = /^\/v2\/accounts\/([^/]+)$/.exec(path);
    if (one) {
      const id = decodeURIComponent(one[1] as string);
      if (method === 'GET') {
        const record = this.accounts.get(id);
        return record ? ok(present(record)) : notFound();
      }
      if (method === 'PATCH') {
        const updated = this.updateAccount(id, input);
        return updated ? ok(updated) : notFound();
      }
    }
    return notFound();
  }
}

const fields = ['accountName', 'accountType', 'primaryContact', 'address', 'amsCustomerNumber'] as const;

function pick(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => f in input).map((f) => [f, input[f]]));
}

function present(record: StoredRecord): Record<string, unknown> {
  return { accountId: record.id, ...record.data, revision: record.seq };
}

/** The AMS's account data in benefits field names (the AMS is the source). */
function fromAms(ams: Record<string, unknown>): Record<string, unknown> {
  const address = (ams.address ?? {}) as Record<string, unknown>;
  return {
    accountName: ams.customerName,
    accountType: ams.customerType,
    primaryContact: { email: ams.email ?? null, phone: ams.phone ?? null },
    address: {
      street1: address.line1 ?? null,
      city: address.city ?? null,
      state: address.state ?? null,
      zip: address.zipCode ?? null,
    },
    amsCustomerNumber: ams.customerNumber,
    amsCustomerId: ams.customerId,
  };
}

function toAms(data: Record<string, unknown>): Record<string, unknown> {
  const contact = (data.primaryContact ?? {}) as Record<string, unknown>;
  const address = (data.address ?? {}) as Record<string, unknown>;
  return {
    customerName: data.accountName,
    customerType: data.accountType,
    email: contact.email ?? null,
    phone: contact.phone ?? null,
    address: {
      line1: address.street1 ?? null,
      city: address.city ?? null,
      state: address.state ?? null,
      zipCode: address.zip ?? null,
    },
  };
}
