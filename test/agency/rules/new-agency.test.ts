import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNewAgency, type NewAgencyInput } from '../../../src/agency/rules/new-agency.ts';
import { DomainError } from '../../../src/kernel/errors.ts';

const valid: NewAgencyInput = {
  name: ' Prairie Mutual ',
  slug: 'prairie-2',
  timeZone: 'Central Standard Time',
  backupEmail: 'Office@Prairie.example',
  staffEmail: 'owner@prairie.example',
  staffName: 'Olive Owner',
  city: '  ',
};

const fieldsOf = (input: NewAgencyInput) => {
  try {
    checkNewAgency(input);
    return [];
  } catch (error) {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'unprocessable');
    return error.errors.map((e) => e.path);
  }
};

describe('a new agency', () => {
  it('is trimmed, its Windows zone made IANA, blank address parts dropped', () => {
    const checked = checkNewAgency(valid);
    assert.equal(checked.name, 'Prairie Mutual');
    assert.equal(checked.timeZone, 'America/Chicago');
    assert.equal(checked.backupEmail, 'office@prairie.example');
    assert.equal(checked.city, undefined);
    assert.equal(checked.staffPassword, undefined);
  });

  it('names every bad field at once', () => {
    assert.deepEqual(
      fieldsOf({
        ...valid,
        slug: '-dash',
        name: ' ',
        timeZone: 'Mars/Olympus',
        backupEmail: 'nope',
        staffEmail: 'a@b',
        staffName: '',
        staffPassword: 'short',
      }),
      ['slug', 'name', 'timeZone', 'backupEmail', 'staffEmail', 'staffName', 'staffPassword'],
    );
  });

  it('takes the database rule for slugs: lowercase letters, digits and dashes, at most 63', () => {
    for (const slug of ['UPPER', 'under_score', 'sp ace', '', 'a'.repeat(64)])
      assert.deepEqual(fieldsOf({ ...valid, slug }), ['slug'], slug);
    for (const slug of ['a', '9lives', 'two-words', 'a'.repeat(63)])
      assert.deepEqual(fieldsOf({ ...valid, slug }), [], slug);
  });
});
