import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderedId } from '../../src/imports/bulk-insert.ts';

describe('orderedId', () => {
  it('is a version 7 UUID whose text sorts in the order the ids were made, with random bits unique', () => {
    const ids = Array.from({ length: 5000 }, () => orderedId());
    for (const id of ids) {
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, id);
    }
    assert.deepEqual([...ids].sort(), ids, 'made in order, sorted in order');
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(ids.map((id) => id.slice(19))).size, ids.length, 'the random part differs');
  });

  it('carries the time it was made in its first 48 bits', () => {
    const before = Date.now();
    const id = orderedId();
    const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    // Within a second: ids made faster than 4,096 a millisecond borrow the next milliseconds.
    assert.ok(ms >= before && ms - Date.now() < 1000, `${ms} from ${before}`);
  });
});
