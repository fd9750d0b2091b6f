import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createCustomer } from '../../src/customers/customers.ts';
import { startWorkers, type Workers } from '../../src/platform/app/workers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { configureConnector } from '../../src/sync/connectors.ts';
import { AmsDouble } from '../../src/sync/doubles/ams-double.ts';
import { BenefitsDouble } from '../../src/sync/doubles/benefits-double.ts';
import { amsDoubleMapping, benefitsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import { syncSchedules } from '../../src/sync/jobs.ts';
import { requestCustomerPush } from '../../src/sync/push.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { eventually, TEST_CONNECTOR_TIMING } from '../support/sync.ts';

for (const target of databaseTargets()) {
  describe(`sync jobs on ${target}`, () => {
    let database: DatabaseHandle;
    let workers: Workers;
    const ams = new AmsDouble();
    const benefits = new BenefitsDouble();
    const schema = `pgboss_${randomBytes(4).toString('hex')}`;

    before(async () => {
      database = await openTestDatabase(target);
      workers = await startWorkers(database, { schema });
      await ams.start();
      await benefits.start();
    });
    after(async () => {
      await workers.stop();
      await ams.stop();
      await benefits.stop();
      if (target === 'postgres') await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(database.db);
      await database.close();
    });

    it('the daily job syncs every agency with a benefits connector, and the sweep sends queued pushes', async () => {
      const db = database.db;
      const agency = await createTestAgency(db, 'Jobs Agency');
      await configureConnector(db, agency.actor, 'benefits', {
        kind: 'rest',
        mapping: benefitsDoubleMapping(benefits.server.url, TEST_CONNECTOR_TIMING),
      });
      await configureConnector(db, agency.actor, 'ams', {
        kind: 'rest',
        mapping: amsDoubleMapping(ams.server.url, TEST_CONNECTOR_TIMING),
      });
      benefits.seed(5, (i) => ({ accountName: `Job Account ${i}`, accountType: 'group' }));
      await workers.boss.send(syncSchedules.daily, {});
      const count = async () =>
        (await db.selectFrom('customers').select('id').where('agency_id', '=', agency.id).execute()).length;
      await eventually(async () => (await count()) === 5, 'the daily job', 30_000);

      const local = await createCustomer(db, agency.actor, { type: 'individual', name: 'Swept Push' });
      await requestCustomerPush(db, agency.actor, local.customerNumber, ['ams']);
      assert.equal(ams.customers.size, 0, 'nothing sent before the sweep');
      await workers.boss.send(syncSchedules.pushSweep, {});
      await eventually(async () => ams.customers.size === 1, 'the push sweep', 30_000);
      assert.equal(ams.customers.all()[0]?.data.customerName, 'Swept Push');
    });
  });
}
