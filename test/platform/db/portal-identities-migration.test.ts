// Migration 0014 turns each enrolled portal login into the identity of its e-mail: nobody loses
// access, passwords keep working, open sessions stay signed in on the customer they were for,
// and a second customer where the same address is a contact shows up in the account switcher.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { hashPassword, hashToken } from '../../../src/agency/secrets/secrets.ts';
import { addContact } from '../../../src/customers/contacts.ts';
import { createCustomer } from '../../../src/customers/customers.ts';
import { type DatabaseHandle, openDatabase } from '../../../src/platform/db/database.ts';
import { migrateTo } from '../../../src/platform/db/migrate.ts';
import { authenticatePortalSession, getPortalSession, signInToPortal } from '../../../src/portal/auth.ts';
import { databaseTargets, migrateRetryingCatalogRaces } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';

async function admin(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

for (const target of databaseTargets()) {
  describe(`migration 0014 (portal identities) on ${target}`, () => {
    let handle: DatabaseHandle;
    let schema: string | undefined;
    let agency: TestAgency;
    const people = {
      jane: { email: 'Jane.Two@Example.com', session: 'ppc_jane_session', customers: [] as number[] },
      solo: { email: 'solo@example.com', session: 'ppc_solo_session', customers: [] as number[] },
    };

    before(async () => {
      if (target === 'postgres') {
        const url = process.env.TEST_DATABASE_URL!;
        schema = `test_mig14_${randomBytes(4).toString('hex')}`;
        await admin(url, `CREATE SCHEMA ${schema}`);
        handle = await openDatabase({ url, searchPath: schema, poolSize: 2 });
      } else {
        handle = await openDatabase({ url: 'memory://' });
      }
      // (On the shared server another file may be dropping its schema as the migrator reads the catalog.)
      await migrateRetryingCatalogRaces(handle, schema, () => migrateTo(handle.db, '0013_idempotency_owners', schema));
      const db = handle.db;
      agency = await createTestAgency(db, 'Before Identities');
      const customer = async (name: string) =>
        (await createCustomer(db, agency.actor, { type: 'individual', name })).customerNumber;
      const janePersonal = await customer('Jane Two');
      const janeBusiness = await customer('Two Consulting LLC');
      const solo = await customer('Solo Person');
      people.jane.customers = [janePersonal, janeBusiness];
      people.solo.customers = [solo];
      const janeContact = await addContact(db, agency.actor, janePersonal, {
        name: 'Jane Two',
        email: people.jane.email,
      });
      await addContact(db, agency.actor, janeBusiness, { name: 'Jane Two', email: 'jane.two@example.com' });
      const soloContact = await addContact(db, agency.actor, solo, { name: 'Solo', email: people.solo.email });
      // Logins as 0005 wrote them: one per contact, and their sessions.
      const idOf = async (n: number) =>
        (
          await db
            .selectFrom('customers')
            .select('id')
            .where('agency_id', '=', agency.id)
            .where('customer_number', '=', n)
            .executeTakeFirstOrThrow()
        ).id;
      const passwordHash = await hashPassword('kept across the migration');
      for (const [person, contactId, customerNumber, hash] of [
        [people.jane, janeContact.id, janePersonal, passwordHash],
        [people.solo, soloContact.id, solo, null],
      ] as const) {
        const customerId = await idOf(customerNumber);
        const account = await sql<{ id: string }>`INSERT INTO portal_accounts
          (agency_id, customer_id, contact_id, email, password_hash)
          VALUES (${agency.id}, ${customerId}, ${contactId}, ${person.email.toLowerCase()}, ${hash}) RETURNING id`.execute(
          db,
        );
        await sql`INSERT INTO portal_sessions (token_hash, agency_id, account_id, expires_at)
          VALUES (${hashToken(person.session)}, ${agency.id}, ${account.rows[0]!.id}, ${new Date(Date.now() + 86_400_000)})`.execute(
          db,
        );
      }
      await migrateRetryingCatalogRaces(handle, schema);
    });
    after(async () => {
      await handle?.close();
      if (schema) await admin(process.env.TEST_DATABASE_URL!, `DROP SCHEMA ${schema} CASCADE`);
    });

    it('builds one identity per enrolled address and keeps every session on its customer', async () => {
      const identities = await handle.db
        .selectFrom('portal_identities')
        .select(['email'])
        .where('agency_id', '=', agency.id)
        .orderBy('email')
        .execute();
      assert.deepEqual(
        identities.map((i) => i.email),
        ['jane.two@example.com', 'solo@example.com'],
      );
      for (const person of Object.values(people)) {
        const actor = await authenticatePortalSession(handle.db, person.session);
        assert.ok(actor?.client, `${person.email} is still signed in`);
        assert.equal(actor.client.customerNumber, person.customers[0]);
        const view = await getPortalSession(handle.db, actor);
        assert.deepEqual(
          view.accounts.map((a) => a.customerNumber),
          person.customers,
        );
      }
    });

    it('keeps the password, now for every account of the address', async () => {
      const signedIn = await signInToPortal(handle.db, {
        agency: agency.slug,
        email: 'JANE.TWO@example.com',
        password: 'kept across the migration',
      });
      assert.equal(signedIn.view.customer.customerNumber, people.jane.customers[0]);
      assert.equal(signedIn.view.accounts.length, 2);
      assert.equal(signedIn.view.hasPassword, true);
    });
  });
}
