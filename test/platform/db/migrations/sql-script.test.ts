import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitStatements } from '../../../../src/platform/db/migrations/sql-script.ts';

describe('splitStatements', () => {
  it('splits on semicolons outside quotes, dollar bodies and comments', () => {
    const script = `
      -- a comment; with a semicolon
      CREATE TABLE a (x text DEFAULT 'it''s; fine');
      CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'no; never'; END $$;
      SELECT 1`;
    const statements = splitStatements(script);
    assert.equal(statements.length, 3);
    assert.match(statements[0]!, /^CREATE TABLE a/);
    assert.match(statements[1]!, /END \$\$$/);
    assert.equal(statements[2], 'SELECT 1');
  });
});
