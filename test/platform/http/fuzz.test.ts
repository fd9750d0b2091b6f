import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { createApiKey } from '../../../src/agency/api-keys.ts';
import { signIn } from '../../../src/agency/users.ts';
import { addContact } from '../../../src/customers/contacts.ts';
import { createCustomer } from '../../../src/customers/customers.ts';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { inTransaction } from '../../../src/platform/db/transaction.ts';
import { redeemPortalToken } from '../../../src/portal/auth.ts';
import { issuePortalLink } from '../../../src/portal/links.ts';
import { databaseTargets } from '../../support/db.ts';
import { type PaymentsWorld, startPaymentsWorld, tokenizeCard } from '../../support/payments.ts';
import {
  databaseFingerprint,
  fingerprintDiff,
  installWriteCounter,
  type OpenApiDocument,
  type Pools,
} from '../../support/worlds/fuzz.ts';
import {
  buildRequest,
  type Credential,
  errorLogs,
  isRecordedDecline,
  operationsOf,
  problemViolation,
  requestArbitrary,
} from '../../support/worlds/fuzz-requests.ts';

/**
 * A property-based fuzzer over every operation of the app's own OpenAPI document. For each
 * operation it sends requests built from the operation's schemas (valid-ish values mixed with
 * wrong types, edge numbers, NUL, lone surrogates, huge strings, missing and unknown fields,
 * undecodable paths), under each kind of caller, and checks: no 5xx; every 4xx is problem+json,
 * a 400 naming the fields; a rejected request wrote nothing. Bounded by a request count and a
 * fixed seed (POLICYPAY_FUZZ_RUNS / POLICYPAY_FUZZ_SEED change them), so it is deterministic in
 * what it sends; POLICYPAY_FUZZ_VERBOSE=1 also lists the operations that never answered a 2xx.
 */
const RUNS_PER_OPERATION = Number(process.env.POLICYPAY_FUZZ_RUNS ?? 20);
const SEED = Number(process.env.POLICYPAY_FUZZ_SEED ?? 20261203);

for (const target of databaseTargets()) {
  describe(`OpenAPI fuzzer on ${target}`, () => {
    let world: PaymentsWorld;
    let doc: OpenApiDocument;
    const credentials = {} as Record<Credential, Record<string, string>>;
    let refreshSessions: () => Promise<void>;
    const pools: Pools = { byName: {} };

    before(async () => {
      world = await startPaymentsWorld(target);
      await installWriteCounter(world.database.db);
      const { db } = world.database;
      // The counter ignores an API key's last use alone, and counts any other update of a key.
      const unwritten = await databaseFingerprint(db);
      await sql`UPDATE api_keys SET last_used_at = now()`.execute(db);
      assert.equal(await databaseFingerprint(db), unwritten);
      await sql`UPDATE api_keys SET name = name`.execute(db);
      assert.deepEqual(fingerprintDiff(unwritten, await databaseFingerprint(db)), ['api_keys']);
      const { actor } = world.agency;
      const api = world.api;
      const ok = (res: { status: number; body: unknown }, what: string) => {
        assert.ok(res.status < 300, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
        return res.body as any;
      };
      // Things for valid-ish requests to find: a customer with a contact, a policy, an invoice, a
      // receipt, a saved card, a payment, a payment request, and a spare API key to revoke.
      const customer = await createCustomer(db, actor, {
        type: 'individual',
        name: 'Fuzz Client',
        email: 'fuzz@example.com',
      });
      const contact = await addContact(db, actor, customer.customerNumber, {
        name: 'Fuzz Client',
        email: 'fuzz@example.com',
      });
      const policy = ok(
        await api.post('/api/v1/policies', {
          customerNumber: customer.customerNumber,
          policyNumber: 'FUZZ-1',
          lineOfBusiness: 'Auto',
          effectiveDate: '2026-01-01',
          expirationDate: '2027-01-01',
          premium: 900,
          status: 'active',
        }),
        'policy',
      );
      const invoice = ok(
        await api.post('/api/v1/invoices', {
          customerNumber: customer.customerNumber,
          policyNumber: policy.policyNumber,
          dueDate: '2026-11-01',
          amount: 600,
        }),
        'invoice',
      );
      const receipt = ok(
        await api.post('/api/v1/receipt/customer', {
          customerNumber: customer.customerNumber,
          invoiceInformations: [{ invoiceNumber: invoice.invoiceNumber, paymentAmount: 10 }],
          receiptAmount: 10,
          receiptDate: '2026-11-21',
          receiptDateTimeZone: 'America/Chicago',
          bankShortName: 'OPER',
          paymentCheckType: 'H',
        }),
        'receipt',
      );
      const method = ok(
        await api.post(`/api/v1/customers/${customer.customerNumber}/payment-methods`, {
          processor: 'sandbox',
          token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
        }),
        'payment method',
      );
      const payment = ok(
        await api.post('/api/v1/payments', {
          customerNumber: customer.customerNumber,
          type: 'card',
          amount: 20,
          paymentMethodId: method.id,
          targets: [{ invoiceNumber: invoice.invoiceNumber, amount: 20 }],
          channel: 'secure_checkout',
        }),
        'payment',
      );
      const request = ok(
        await api.post('/api/v1/payment-requests', {
          customerNumber: customer.customerNumber,
          contactId: contact.id,
          amount: 30,
          // Not before the server's today, which is this process's clock (the server runs in it).
          dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
        }),
        'payment request',
      );
      const spareKey = await createApiKey(db, actor, { name: 'spare', role: 'agent' });
      const agentKey = await createApiKey(db, actor, { name: 'fuzz agent', role: 'agent' });
      const ids = [payment.id, request.id, method.id, spareKey.id, contact.id];
      pools.byName = {
        customerNumber: [customer.customerNumber],
        invoiceNumber: [invoice.invoiceNumber],
        policyNumber: [policy.policyNumber],
        receiptNumber: [receipt.receiptNumber],
        id: ids,
        paymentMethodId: [method.id],
        contactId: [contact.id],
        processor: ['sandbox'],
        agency: [world.agency.slug],
        system: ['ams360', 'benefits'],
        tag: ['vip'],
        bankShortName: ['OPER'],
        email: [world.agency.staff.email, 'fuzz@example.com'],
      };

      credentials.none = {};
      credentials.badKey = { authorization: 'Bearer pp_live_not_a_key' };
      credentials.staffKey = { authorization: `Bearer ${world.agency.apiKey}` };
      credentials.agentKey = { authorization: `Bearer ${agentKey.key}` };
      refreshSessions = async () => {
        const session = await signIn(db, world.agency.staff.email, world.agency.staff.password);
        credentials.staffSession = { cookie: `pp_session=${session.token}` };
        const link = await inTransaction(db, (tx) =>
          issuePortalLink(tx, {
            agencyId: world.agency.id,
            agencySlug: world.agency.slug,
            customerId: customer.id,
            contactId: contact.id,
            purpose: 'sign_in',
            validMs: 3_600_000,
            portalUrl: 'http://portal.example',
          }),
        );
        const token = new URL(link).searchParams.get('token')!;
        const portal = await redeemPortalToken(db, { agencySlug: world.agency.slug, token });
        credentials.portalSession = { cookie: `pp_portal=${portal.token}` };
      };
      await refreshSessions();
      doc = (await (await fetch(`${world.url}/api/openapi.json`)).json()) as OpenApiDocument;
    });
    after(async () => world?.close());

    it('answers every operation without a 5xx, with problem+json errors, and writes nothing it rejects', async (t) => {
      const operations = operationsOf(doc);
      assert.ok(operations.length >= 90, `the document lists ${operations.length} operations`);
      const figures = { operations: operations.length, requests: 0, status5xx: 0, rejected: 0, rejectedAndWrote: 0 };
      const byStatus = new Map<number, number>();
      // Operations that answered a 2xx at least once: how far past validation the fuzzer got.
      const succeeded = new Set<string>();
      const failures: string[] = [];
      let fingerprint = await databaseFingerprint(world.database.db);

      for (const [index, operation] of operations.entries()) {
        const arbitrary = requestArbitrary(doc, operation, pools);
        let violation: string | undefined;
        const fail = (message: string) => {
          violation = message;
          throw new Error(message);
        };
        const property = fc.asyncProperty(arbitrary, async (spec) => {
          const logsBefore = world.logs.length;
          const { url, init, described } = buildRequest(world.url, operation, spec, credentials);
          const response = await fetch(url, init);
          const text = await response.text();
          figures.requests++;
          byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
          if (response.status < 300) succeeded.add(`${operation.method} ${operation.path}`);
          const context = () =>
            `${described}\n→ ${response.status} ${text.slice(0, 500)}\n${errorLogs(world.logs.slice(logsBefore)).join('\n')}`;
          if (response.status >= 500) {
            figures.status5xx++;
            fail(`5xx: ${context()}`);
          }
          const after = await databaseFingerprint(world.database.db);
          if (response.status >= 400) {
            figures.rejected++;
            const wrote = fingerprintDiff(fingerprint, after);
            fingerprint = after;
            // A payment the processor declined is recorded (its 422 names it): the attempt is the record.
            if (wrote.length > 0 && !isRecordedDecline(response.status, text)) {
              figures.rejectedAndWrote++;
              fail(`a rejected request wrote to ${wrote.join(', ')}: ${context()}`);
            }
            const problem = problemViolation(response, text);
            if (problem) fail(`${problem}: ${context()}`);
          }
          fingerprint = after;
          // A request that signed a session out: sign in again, so later requests still reach past auth.
          if (response.status === 401 && spec.credential.endsWith('Session')) {
            await refreshSessions();
            fingerprint = await databaseFingerprint(world.database.db);
          }
        });
        try {
          await fc.assert(property, { numRuns: RUNS_PER_OPERATION, seed: SEED + index, endOnFailure: true });
        } catch (error) {
          failures.push(
            `${operation.method} ${operation.path}: ${violation ?? (error as Error).message}`.slice(0, 4000),
          );
        }
      }
      const statuses = [...byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
      t.diagnostic(
        `fuzz figures on ${target}: operations=${figures.operations} requests=${figures.requests} ` +
          `5xx=${figures.status5xx} rejected=${figures.rejected} rejected-and-wrote=${figures.rejectedAndWrote} ` +
          `operations-with-2xx=${succeeded.size} seed=${SEED} statuses ${statuses.join(' ')}`,
      );
      if (process.env.POLICYPAY_FUZZ_VERBOSE) {
        const never = operations.map((o) => `${o.method} ${o.path}`).filter((o) => !succeeded.has(o));
        t.diagnostic(`never 2xx: ${never.join(', ')}`);
      }
      assert.equal(failures.length, 0, failures.join('\n\n'));
      assert.equal(figures.status5xx, 0);
      assert.equal(figures.rejectedAndWrote, 0);
    });
  });
}
