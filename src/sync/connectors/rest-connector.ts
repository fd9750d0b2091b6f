import { setTimeout as sleep } from 'node:timers/promises';
import { connectorFetch, OutboundRefused } from '../../platform/outbound.ts';
import {
  type AccountField,
  type AccountFields,
  accountFields,
  type ContactFields,
  contactFields,
  type ExternalContact,
  type ExternalInvoice,
  type ExternalPolicy,
  type ExternalRecord,
} from '../rules/records.ts';
import { type ChangePage, type Connector, ConnectorError, type InboundEvent } from './connector.ts';
import { type RestMapping, readPath, writePath } from './rest-mapping.ts';

/**
 * The generic REST connector: every system the hub talks to over HTTP+JSON is this class with a
 * different mapping (the AMS and benefits test doubles included). Reads and updates are retried
 * on 5xx, 429, timeouts and dropped connections; creates too, because they carry our id.
 */
export class RestConnector implements Connector {
  readonly #mapping: RestMapping;

  constructor(mapping: RestMapping) {
    this.#mapping = mapping;
  }

  async listChanges(entity: 'customer' | string, cursor: string | null, limit: number): Promise<ChangePage> {
    const m = this.#entity(entity);
    const query = new URLSearchParams({ [m.limitParam]: String(limit) });
    if (cursor !== null) query.set(m.cursorParam, cursor);
    const body = await this.#call('GET', `${m.changesPath}?${query}`);
    const items = readPath(body, m.itemsField);
    if (!Array.isArray(items)) throw new ConnectorError(`changes response has no "${m.itemsField}" array`, false);
    const next = readPath(body, m.nextCursorField);
    const records = items.map((item) => this.#record(item));
    return {
      records,
      cursor: next === undefined || next === null ? cursor : String(next),
      done: items.length < limit,
    };
  }

  async get(entity: string, externalId: string): Promise<ExternalRecord | null> {
    const m = this.#entity(entity);
    try {
      return this.#record(await this.#call('GET', fill(m.getPath, externalId)));
    } catch (error) {
      if (error instanceof NotFound) return null;
      throw error;
    }
  }

  async create(
    entity: string,
    fields: AccountFields,
    localId: string,
    amsCustomerNumber: string | null,
    contact?: ContactFields | null,
  ): Promise<ExternalRecord> {
    const m = this.#entity(entity);
    const body = this.#body(fields, amsCustomerNumber, contact ?? null);
    if (m.localIdField) writePath(body, m.localIdField, localId);
    return this.#record(await this.#call('POST', m.createPath, body));
  }

  async update(
    entity: string,
    externalId: string,
    fields: AccountFields,
    amsCustomerNumber: string | null,
    contact?: ContactFields | null,
  ): Promise<ExternalRecord> {
    const m = this.#entity(entity);
    const body = this.#body(fields, amsCustomerNumber, contact ?? null);
    return this.#record(await this.#call(m.updateMethod, fill(m.updatePath, externalId), body));
  }

  parseEvent(body: unknown): InboundEvent {
    const events = this.#mapping.events;
    if (!events) throw new ConnectorError('this connector takes no webhooks (no "events" in its mapping)', false);
    const eventId = readPath(body, events.idField);
    const type = readPath(body, events.typeField);
    if (typeof eventId !== 'string' || eventId === '')
      throw new ConnectorError(`event has no "${events.idField}"`, false);
    if (typeof type !== 'string' || !events.customerTypes.includes(type)) {
      throw new ConnectorError(`event type ${JSON.stringify(type)} is not one this connector reads`, false);
    }
    return { eventId, entity: 'customer', record: this.#record(readPath(body, events.dataField)) };
  }

  #entity(entity: string) {
    if (entity !== 'customer') throw new ConnectorError(`the REST connector does not sync ${entity} records`, false);
    return this.#mapping.customer;
  }

  #body(
    fields: AccountFields,
    amsCustomerNumber: string | null,
    contact: ContactFields | null,
  ): Record<string, unknown> {
    const m = this.#mapping.customer;
    const body: Record<string, unknown> = {};
    // The contact first: where a system keeps the contact's details on the account (the same
    // path), an account field sent with it wins.
    if (contact && m.contact) {
      for (const field of contactFields) {
        const target = m.contact.fields[field];
        if (target) writePath(body, target, contact[field]);
      }
    }
    for (const [field, value] of Object.entries(fields)) {
      const target = m.fields[field as AccountField];
      if (target) writePath(body, target, value);
    }
    if (amsCustomerNumber !== null && m.amsCustomerNumberField)
      writePath(body, m.amsCustomerNumberField, amsCustomerNumber);
    return body;
  }

  #record(item: unknown): ExternalRecord {
    const m = this.#mapping.customer;
    if (item === null || typeof item !== 'object') throw new ConnectorError('a record is not an object', false);
    const id = readPath(item, m.idField);
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new ConnectorError(`a record has no "${m.idField}"`, false);
    }
    const fields: AccountFields = {};
    for (const field of accountFields) {
      const source = m.fields[field];
      if (!source) continue;
      const value = readPath(item, source);
      fields[field] = value === undefined || value === null || value === '' ? null : String(value);
    }
    const version = m.versionField ? readPath(item, m.versionField) : undefined;
    const number = m.amsCustomerNumberField ? readPath(item, m.amsCustomerNumberField) : undefined;
    const reference = m.localIdField ? readPath(item, m.localIdField) : undefined;
    const record: ExternalRecord = {
      externalId: String(id),
      version: typeof version === 'number' || typeof version === 'string' ? BigInt(version) : null,
      amsCustomerNumber: number === undefined || number === null || number === '' ? null : String(number),
      localReference: typeof reference === 'string' && reference !== '' ? reference : null,
      fields,
    };
    if (m.contact) record.contacts = this.#contacts(item, record);
    if (m.policies) record.policies = this.#policies(item);
    if (m.invoices) record.invoices = this.#invoices(item);
    return record;
  }

  /** The account's one contact; none when the record has no contact detail at all. */
  #contacts(item: object, record: ExternalRecord): ExternalContact[] {
    const m = this.#mapping.customer.contact as NonNullable<RestMapping['customer']['contact']>;
    const fields = {} as ContactFields;
    for (const field of contactFields) {
      const source = m.fields[field];
      fields[field] = source ? text(readPath(item, source)) : null;
    }
    if (fields.email === null && fields.phone === null) return [];
    // A contact without a name of its own is named like its account (as the benefits system does).
    fields.name ??= record.fields.name ?? null;
    if (fields.name === null) return [];
    const id = m.idField ? text(readPath(item, m.idField)) : null;
    return [{ externalId: id ?? `${record.externalId}:primary`, fields }];
  }

  #policies(item: object): ExternalPolicy[] {
    const m = this.#mapping.customer.policies as NonNullable<RestMapping['customer']['policies']>;
    const items = readPath(item, m.itemsField);
    if (!Array.isArray(items)) return [];
    const policies: ExternalPolicy[] = [];
    for (const policy of items) {
      const id = text(readPath(policy, m.idField));
      if (id === null) continue;
      const date = (path: string | undefined) => {
        const value = path ? text(readPath(policy, path)) : null;
        return value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
      };
      policies.push({
        externalId: id,
        policyNumber: (m.numberField ? text(readPath(policy, m.numberField)) : null) ?? id,
        lineOfBusiness: m.lineOfBusinessField ? text(readPath(policy, m.lineOfBusinessField)) : null,
        effectiveDate: date(m.effectiveDateField),
        expirationDate: date(m.expirationDateField),
        premium: m.premiumField ? text(readPath(policy, m.premiumField)) : null,
      });
    }
    return policies;
  }

  #invoices(item: object): ExternalInvoice[] {
    const m = this.#mapping.customer.invoices as NonNullable<RestMapping['customer']['invoices']>;
    const items = readPath(item, m.itemsField);
    if (!Array.isArray(items)) return [];
    return items.flatMap((invoice) => {
      const id = text(readPath(invoice, m.idField));
      return id === null
        ? []
        : [
            {
              externalId: id,
              policyNumber: text(readPath(invoice, m.policyNumberField)),
              dueDate: text(readPath(invoice, m.dueDateField)),
              amount: text(readPath(invoice, m.amountField)),
              openBalance: m.openBalanceField ? text(readPath(invoice, m.openBalanceField)) : null,
            },
          ];
    });
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const { retries, retryDelayMs } = this.#mapping;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(method, path, body);
      } catch (error) {
        if (error instanceof NotFound || !(error instanceof ConnectorError) || !error.retryable || attempt >= retries) {
          throw error;
        }
        // Exponential backoff with jitter, so a recovering system is not hit in lockstep.
        await sleep(retryDelayMs * 2 ** attempt * (0.5 + Math.random() / 2));
      }
    }
  }

  async #once(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.#mapping.baseUrl.replace(/\/$/, '')}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#mapping.auth) headers[this.#mapping.auth.header] = this.#mapping.auth.value;
    let response: Awaited<ReturnType<typeof connectorFetch>>;
    try {
      response = await connectorFetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#mapping.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error).cause;
      // A refused address is configuration, not a passing fault: retrying would not change it.
      if (cause instanceof OutboundRefused) throw new ConnectorError(`${method} ${path}: ${cause.message}`, false);
      const reason = (error as Error).name === 'TimeoutError' ? 'timed out' : `failed (${(error as Error).message})`;
      throw new ConnectorError(`${method} ${path} ${reason}`, true);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // The timeout also covers the body: a half-read answer is retried like a lost one.
      throw new ConnectorError(`${method} ${path}: reading the answer failed (${(error as Error).message})`, true);
    }
    if (response.status === 404) throw new NotFound(`${method} ${path}: 404`);
    if (!response.ok) {
      const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
      throw new ConnectorError(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`, retryable);
    }
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      throw new ConnectorError(`${method} ${path}: the response is not JSON`, false);
    }
  }
}

class NotFound extends ConnectorError {
  constructor(message: string) {
    super(message, false);
  }
}

function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function fill(path: string, id: string): string {
  return path.replace('{id}', encodeURIComponent(id));
}
