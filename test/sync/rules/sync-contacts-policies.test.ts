import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMonths } from '../../../src/sync/rules/policy-rules.ts';
import { contentHash, type ExternalRecord } from '../../../src/sync/rules/records.ts';
import {
  acceptedContactFields,
  defaultSyncRules,
  type SyncRules,
  syncRulesSchema,
} from '../../../src/sync/rules/rules.ts';

const account: ExternalRecord = {
  externalId: 'AMS-1',
  version: 1n,
  amsCustomerNumber: '5001',
  localReference: null,
  fields: { name: 'Oak Co', email: 'oak@example.com' },
};
const contact = { externalId: 'AMS-1:primary', fields: { name: 'Oak Co', email: 'oak@example.com', phone: null } };
const policy = {
  externalId: 'POL-1',
  policyNumber: 'P-1',
  lineOfBusiness: 'Auto',
  effectiveDate: '2026-01-01',
  expirationDate: null,
};

describe('sync of contacts and policies: pure rules', () => {
  it('the AMS owns contact fields by default: the benefits system sets them only for contacts the AMS does not know', () => {
    assert.deepEqual(acceptedContactFields(defaultSyncRules, 'ams', new Set(['ams', 'benefits'])), [
      'name',
      'email',
      'phone',
    ]);
    assert.deepEqual(acceptedContactFields(defaultSyncRules, 'benefits', new Set(['ams', 'benefits'])), []);
    assert.deepEqual(acceptedContactFields(defaultSyncRules, 'benefits', new Set(['benefits'])), [
      'name',
      'email',
      'phone',
    ]);
    const rules: SyncRules = structuredClone(defaultSyncRules);
    rules.contact = { owners: { name: 'ams', email: 'ams', phone: 'benefits' } };
    assert.deepEqual(acceptedContactFields(rules, 'benefits', new Set(['ams', 'benefits'])), ['phone']);
    // Rules stored before contacts were synced have no `contact`: the AMS owns them all.
    const { contact: _, ...older } = defaultSyncRules;
    assert.equal(syncRulesSchema.safeParse(older).success, true);
    assert.deepEqual(acceptedContactFields(older, 'benefits', new Set(['ams', 'benefits'])), []);
    assert.equal(
      syncRulesSchema.safeParse({ ...defaultSyncRules, contact: { owners: { name: 'nowhere' } } }).success,
      false,
    );
  });

  it('hashes contacts and policies with the account, in any order, and leaves hashes of records without them alone', () => {
    const plain = contentHash(account);
    assert.equal(contentHash({ ...account, contacts: [], policies: [] }), plain);
    const full = contentHash({
      ...account,
      contacts: [contact],
      policies: [policy, { ...policy, externalId: 'POL-2' }],
    });
    assert.notEqual(full, plain);
    assert.equal(
      contentHash({ ...account, contacts: [contact], policies: [{ ...policy, externalId: 'POL-2' }, policy] }),
      full,
    );
    assert.notEqual(
      contentHash({
        ...account,
        contacts: [{ ...contact, fields: { ...contact.fields, phone: '555' } }],
        policies: [policy],
      }),
      contentHash({ ...account, contacts: [contact], policies: [policy] }),
    );
  });

  it('a default policy term is twelve months, clamped to the end of the month', () => {
    assert.equal(addMonths('2026-11-21', 12), '2027-11-21');
    assert.equal(addMonths('2024-02-29', 12), '2025-02-28');
    assert.equal(addMonths('2026-01-31', 1), '2026-02-28');
  });
});
