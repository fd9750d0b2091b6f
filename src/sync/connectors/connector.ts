import type { AccountFields, ContactFields, ExternalRecord, SyncEntity } from '../rules/records.ts';

/** One page of changes: the records, the cursor to commit with them, and whether more follow. */
export interface ChangePage {
  records: ExternalRecord[];
  cursor: string | null;
  done: boolean;
}

/** A webhook event after the connector read it. */
export interface InboundEvent {
  eventId: string;
  entity: SyncEntity;
  record: ExternalRecord;
}

/**
 * What the hub needs from an external system. Every call may throw `ConnectorError` after the
 * connector's own retries; no call is ever made with a database transaction open.
 */
export interface Connector {
  listChanges(entity: SyncEntity, cursor: string | null, limit: number): Promise<ChangePage>;
  get(entity: SyncEntity, externalId: string): Promise<ExternalRecord | null>;
  /**
   * `localId` is sent as the record's external reference so a retried create is not a second
   * record; `amsCustomerNumber` (when the customer has one) lets a benefits system carry it;
   * `contact` is the account's contact, where the mapping says the system keeps one.
   */
  create(
    entity: SyncEntity,
    fields: AccountFields,
    localId: string,
    amsCustomerNumber: string | null,
    contact?: ContactFields | null,
  ): Promise<ExternalRecord>;
  /** Sends only the fields given (and the contact when given): a system keeps what it is not sent. */
  update(
    entity: SyncEntity,
    externalId: string,
    fields: AccountFields,
    amsCustomerNumber: string | null,
    contact?: ContactFields | null,
  ): Promise<ExternalRecord>;
  /** Reads a webhook body (already authenticated) into an event, or throws ConnectorError. */
  parseEvent(body: unknown): InboundEvent;
}

export class ConnectorError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'ConnectorError';
    this.retryable = retryable;
  }
}
