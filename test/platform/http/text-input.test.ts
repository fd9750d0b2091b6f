import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unstorableText } from '../../../src/platform/http/text-input.ts';

describe('unstorableText', () => {
  it('names every string PostgreSQL cannot store, at its path', () => {
    const errors = unstorableText(
      { name: 'ok', lines: [{ note: 'a\u0000b' }, { note: 'fine' }], bad: '\udc00', nested: { deep: ['\u0000'] } },
      '',
    );
    assert.deepEqual(
      errors.map((e) => e.path),
      ['lines/0/note', 'bad', 'nested/deep/0'],
    );
    assert.match(errors[0]!.message, /NUL/);
    assert.match(errors[1]!.message, /lone surrogate/);
  });

  it('prefixes query, parameter, header and cookie paths, and checks keys too', () => {
    assert.deepEqual(unstorableText({ search: 'x\u0000' }, 'querystring'), [
      { path: 'querystring/search', message: 'must not contain the NUL character (\\u0000)' },
    ]);
    assert.equal(unstorableText({ 'a\u0000': 1 }, '')[0]!.path, 'a\\u0000');
    assert.equal(unstorableText('\u0000', '')[0]!.path, '(body)');
  });

  it('accepts any other text, numbers and nothing, and survives deep nesting', () => {
    assert.deepEqual(unstorableText({ name: 'Zoë 😀 \t\n', n: 1, b: null, list: [true] }, ''), []);
    assert.deepEqual(unstorableText(undefined, ''), []);
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(unstorableText(deep, '').length, 1);
  });

  it('lists at most 20', () => {
    assert.equal(
      unstorableText(
        Array.from({ length: 50 }, () => '\u0000'),
        '',
      ).length,
      20,
    );
  });
});
