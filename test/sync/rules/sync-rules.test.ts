import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideMatch, type MatchCandidate } from '../../../src/sync/rules/matching.ts';
import { contentHash, type ExternalRecord, normalizedName } from '../../../src/sync/rules/records.ts';
import {
  acceptedFields,
  changedFields,
  defaultSyncRules,
  pushTargets,
  type SyncRules,
  syncRulesSchema,
} from '../../../src/sync/rules/rules.ts';
import { signSyncWebhook, verifySyncWebhook } from '../../../src/sync/rules/signature.ts';

const record = (fields: ExternalRecord['fields'], amsCustomerNumber: string | null = null): ExternalRecord => ({
  externalId: 'X-1',
  version: 1n,
  amsCustomerNumber,
  localReference: null,
  fields,
});
const candidate = (id: string, over: Partial<MatchCandidate> = {}): MatchCandidate => ({
  customerId: id,
  email: null,
  phone: null,
  postalCode: null,
  amsCustomerNumbers: [],
  linkedSystems: [],
  ...over,
});

describe('sync rules', () => {
  it('lets the owner set its fields, and others only where the owner does not know the record', () => {
    assert.equal(acceptedFields(defaultSyncRules, 'ams', new Set(['ams', 'benefits'])).length, 10);
    assert.deepEqual(acceptedFields(defaultSyncRules, 'benefits', new Set(['ams', 'benefits'])), []);
    assert.equal(acceptedFields(defaultSyncRules, 'benefits', new Set(['benefits'])).length, 10);
  });

  it('is data: an agency giving the benefits system the phone takes benefits phones over the AMS', () => {
    const rules: SyncRules = structuredClone(defaultSyncRules);
    rules.customer.owners.phone = 'benefits';
    assert.deepEqual(acceptedFields(rules, 'benefits', new Set(['ams', 'benefits'])), ['phone']);
    assert.ok(syncRulesSchema.safeParse(rules).success);
    assert.equal(syncRulesSchema.safeParse({ ...rules, pushOnCreate: ['nowhere'] }).success, false);
  });

  it('pushes AMS changes to benefits, local edits wherever linked, and benefits edits nowhere', () => {
    const both = new Set(['ams', 'benefits'] as const);
    assert.deepEqual(pushTargets(defaultSyncRules, 'ams', { name: 'N' }, both), ['benefits']);
    assert.deepEqual(pushTargets(defaultSyncRules, 'benefits', { name: 'N' }, both), []);
    assert.deepEqual(pushTargets(defaultSyncRules, 'local', { name: 'N' }, both), ['ams', 'benefits']);
    assert.deepEqual(pushTargets(defaultSyncRules, 'local', { name: 'N' }, new Set(['ams'] as const)), ['ams']);
    assert.deepEqual(pushTargets(defaultSyncRules, 'ams', {}, both), []);
  });

  it('finds only changed accepted fields', () => {
    assert.deepEqual(
      changedFields({ name: 'A', email: 'a@x' }, { name: 'A', email: 'b@x', phone: '1' }, ['name', 'email']),
      {
        email: 'b@x',
      },
    );
  });
});

describe('matching', () => {
  it('prefers an existing link, then the AMS number, then name with a contact detail', () => {
    assert.deepEqual(
      decideMatch('benefits', record({ name: 'A' }), { linkedCustomerId: 'c1', byAmsNumber: [], byName: [] }),
      {
        kind: 'linked',
        customerId: 'c1',
      },
    );
    assert.deepEqual(
      decideMatch('benefits', record({ name: 'A' }, '5001'), {
        linkedCustomerId: null,
        byAmsNumber: [candidate('c2', { linkedSystems: ['ams'] })],
        byName: [candidate('c3')],
      }),
      { kind: 'matched', customerId: 'c2', by: 'ams_customer_number' },
    );
    assert.deepEqual(
      decideMatch('benefits', record({ name: 'Acme, Inc.', phone: '+1 (312) 555-0100' }), {
        linkedCustomerId: null,
        byAmsNumber: [],
        byName: [candidate('c4', { phone: '312.555.0100' })],
      }),
      { kind: 'matched', customerId: 'c4', by: 'name_and_contact' },
    );
  });

  it('recognises its own echo by the external reference before any other key', () => {
    const ours = candidate('c9', { email: 'other@x' });
    assert.deepEqual(
      decideMatch('ams', record({ name: 'Renamed In The AMS' }), {
        linkedCustomerId: null,
        byLocalReference: ours,
        byAmsNumber: [],
        byName: [candidate('c1')],
      }),
      { kind: 'matched', customerId: 'c9', by: 'local_reference' },
    );
    // Already linked to another record of that system: the reference alone does not decide.
    assert.equal(
      decideMatch('ams', record({ name: 'X' }), {
        linkedCustomerId: null,
        byLocalReference: candidate('c9', { linkedSystems: ['ams'] }),
        byAmsNumber: [],
        byName: [],
      }).kind,
      'new',
    );
  });

  it('sends anything uncertain to review instead of creating or merging', () => {
    const sameName = decideMatch('benefits', record({ name: 'Pat Lee', email: 'p@new' }), {
      linkedCustomerId: null,
      byAmsNumber: [],
      byName: [candidate('c1', { email: 'p@old' })],
    });
    assert.equal(sameName.kind, 'review');
    const two = decideMatch('benefits', record({ name: 'Pat Lee', postalCode: '60601-1234' }), {
      linkedCustomerId: null,
      byAmsNumber: [],
      byName: [candidate('c1', { postalCode: '60601' }), candidate('c2', { postalCode: '60601' })],
    });
    assert.deepEqual(two.kind === 'review' && two.candidateIds, ['c1', 'c2']);
    const taken = decideMatch('benefits', record({ name: 'A' }, '5001'), {
      linkedCustomerId: null,
      byAmsNumber: [candidate('c1', { linkedSystems: ['benefits'] })],
      byName: [],
    });
    assert.equal(taken.kind, 'review');
  });

  it('treats different AMS numbers and records of the same system as different clients', () => {
    assert.deepEqual(
      decideMatch('benefits', record({ name: 'Pat Lee', email: 'p@x' }, '5002'), {
        linkedCustomerId: null,
        byAmsNumber: [],
        byName: [candidate('c1', { email: 'p@x', amsCustomerNumbers: ['5001'] })],
      }),
      { kind: 'new' },
    );
    assert.deepEqual(
      decideMatch('benefits', record({ name: 'Pat Lee', email: 'p@x' }), {
        linkedCustomerId: null,
        byAmsNumber: [],
        byName: [candidate('c1', { email: 'p@x', linkedSystems: ['benefits'] })],
      }),
      { kind: 'new' },
    );
  });

  it('normalizes names like the database index and hashes content regardless of key order', () => {
    assert.equal(normalizedName(' Acme,  Dental-Group '), 'acmedentalgroup');
    assert.equal(
      contentHash({ fields: { name: 'A', email: 'e' }, amsCustomerNumber: null }),
      contentHash({ fields: { email: 'e', name: 'A' }, amsCustomerNumber: null }),
    );
    assert.notEqual(
      contentHash({ fields: { name: 'A' }, amsCustomerNumber: null }),
      contentHash({ fields: { name: 'A' }, amsCustomerNumber: '1' }),
    );
  });
});

describe('webhook signatures', () => {
  const now = new Date('2026-11-21T10:00:00Z');
  it('accepts its own signature within five minutes and nothing else', () => {
    const header = signSyncWebhook('s3cret', '{"a":1}', now);
    assert.deepEqual(verifySyncWebhook('s3cret', '{"a":1}', header, now), { ok: true });
    assert.deepEqual(verifySyncWebhook('s3cret', '{"a":1}', header, new Date(now.getTime() + 299_000)), { ok: true });
    assert.deepEqual(verifySyncWebhook('s3cret', '{"a":1}', header, new Date(now.getTime() + 301_000)), {
      ok: false,
      reason: 'stale',
    });
    assert.deepEqual(verifySyncWebhook('other', '{"a":1}', header, now), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifySyncWebhook('s3cret', '{"a":2}', header, now), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifySyncWebhook('s3cret', '{}', 't=abc,v1=zz', now), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifySyncWebhook('s3cret', '{}', undefined, now), { ok: false, reason: 'missing' });
  });
});
