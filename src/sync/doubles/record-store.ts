/** One stored record of a test double, with the change sequence number of its last write. */
export interface StoredRecord {
  id: string;
  seq: number;
  data: Record<string, unknown>;
}

/**
 * The records of a test double and their change log: every write takes the next sequence number,
 * and "changes since N" is every record whose latest write is after N, in write order.
 */
export class RecordStore {
  readonly #records = new Map<string, StoredRecord>();
  readonly #log: { seq: number; id: string }[] = [];
  readonly #byReference = new Map<string, string>();
  #seq = 0;

  get size(): number {
    return this.#records.size;
  }

  get(id: string): StoredRecord | undefined {
    return this.#records.get(id);
  }

  all(): StoredRecord[] {
    return [...this.#records.values()];
  }

  byReference(reference: string): StoredRecord | undefined {
    const id = this.#byReference.get(reference);
    return id === undefined ? undefined : this.#records.get(id);
  }

  put(id: string, data: Record<string, unknown>, reference?: string): StoredRecord {
    const seq = ++this.#seq;
    const record = { id, seq, data: { ...data } };
    this.#records.set(id, record);
    this.#log.push({ seq, id });
    if (reference) this.#byReference.set(reference, id);
    return record;
  }

  changesSince(since: number, limit: number): StoredRecord[] {
    // The log is in sequence order: find the first entry after `since` by bisection.
    let low = 0;
    let high = this.#log.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#log[mid] as { seq: number }).seq <= since) low = mid + 1;
      else high = mid;
    }
    const page: StoredRecord[] = [];
    for (let i = low; i < this.#log.length && page.length < limit; i++) {
      const entry = this.#log[i] as { seq: number; id: string };
      const record = this.#records.get(entry.id);
      // A record written again later appears once, at its latest write.
      if (record && record.seq === entry.seq) page.push(record);
    }
    return page;
  }
}
