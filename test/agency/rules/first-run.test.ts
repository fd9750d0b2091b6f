import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFirstRun, type FirstRunInput } from '../../../src/agency/rules/first-run.ts';
import { DomainError } from '../../../src/kernel/errors.ts';

const input = (extra: Partial<FirstRunInput> = {}): FirstRunInput => ({
  name: ' Lakeside ',
  slug: 'lakeside',
  timeZone: 'Central Standard Time',
  backupEmail: 'Office@Lakeside.example',
  staffName: 'Lena',
  staffEmail: 'lena@lakeside.example',
  staffPassword: 'long enough',
  banks: [{ shortName: ' TRUST ', name: ' Trust Bank ', division: '' }],
  ...extra,
});

const paths = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'unprocessable');
    return error.errors.map((e) => e.path);
  }
  assert.fail('expected a refusal');
};

test('a first run is trimmed, its zone made IANA, a blank division "Main"', () => {
  const checked = checkFirstRun(input());
  assert.equal(checked.name, 'Lakeside');
  assert.equal(checked.timeZone, 'America/Chicago');
  assert.equal(checked.backupEmail, 'office@lakeside.example');
  assert.deepEqual(checked.banks, [{ shortName: 'TRUST', name: 'Trust Bank', division: 'Main' }]);
});

test('the agency and every bank row are checked at once', () => {
  assert.deepEqual(
    paths(() =>
      checkFirstRun(
        input({
          name: '',
          banks: [
            { shortName: 'A', name: 'x', division: 'Main' },
            { shortName: 'a', name: 'y', division: 'Main' },
            { shortName: 'B!', name: '', division: 'Main' },
          ],
        }),
      ),
    ),
    ['name', 'banks.1.shortName', 'banks.2.shortName', 'banks.2.name'],
  );
  assert.deepEqual(
    paths(() => checkFirstRun(input({ banks: [] }))),
    ['banks'],
  );
  assert.deepEqual(
    paths(() => checkFirstRun(input({ banks: [{ shortName: 'X'.repeat(21), name: 'n', division: '' }] }))),
    ['banks.0.shortName'],
  );
});
