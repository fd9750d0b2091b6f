import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isConnectionError } from '../../../src/platform/db/connection-errors.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isConnectionError', () => {
  it('recognises a lost or refused database connection', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '08006', '08001', '08003']) {
      assert.ok(isConnectionError(withCode(code)), code);
    }
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']) {
      assert.ok(isConnectionError(withCode(code)), code);
    }
    assert.ok(isConnectionError(new Error('Connection terminated unexpectedly')));
    assert.ok(isConnectionError(new Error('Connection terminated due to connection timeout')));
    assert.ok(isConnectionError(new Error('Client has encountered a connection error and is not queryable')));
    assert.ok(isConnectionError(new Error('timeout exceeded when trying to connect')));
    // Node's refusal on every address of a host.
    assert.ok(isConnectionError(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], '')));
  });

  it('leaves other errors alone', () => {
    assert.ok(!isConnectionError(withCode('23505', 'duplicate key')));
    assert.ok(!isConnectionError(withCode('40001', 'could not serialize')));
    assert.ok(!isConnectionError(withCode('57014', 'canceling statement due to statement timeout')));
    assert.ok(!isConnectionError(new Error('boom')));
    assert.ok(!isConnectionError(undefined));
    assert.ok(!isConnectionError('Connection terminated'));
    // A processor or AMS call that failed is not the database: its socket error is only a cause.
    assert.ok(!isConnectionError(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') })));
    assert.ok(!isConnectionError(new AggregateError([withCode('ECONNREFUSED'), new Error('boom')], '')));
  });
});
