import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { DiffChecker } from 'kysely-codegen';
import { GENERATED_FILE, generateSchemaTypes } from '../../../scripts/db-types.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { databaseTargets, migrateRetryingCatalogRaces, openTestDatabase } from '../../support/db.ts';

for (const target of databaseTargets()) {
  describe(`schema types on ${target}`, () => {
    let database: DatabaseHandle;
    let committed: string;

    before(async () => {
      database = await openTestDatabase(target);
      committed = await readFile(GENERATED_FILE, 'utf8');
    });
    after(async () => database.close());

    // Kysely's introspector lists every schema's tables, the same race the test migrations retry.
    async function generate(): Promise<string> {
      let text = '';
      await migrateRetryingCatalogRaces(database, database.searchPath, async () => {
        text = await generateSchemaTypes(database.db, database.searchPath);
      });
      return text;
    }

    function drift(generated: string): string | undefined {
      return generated === committed ? undefined : new DiffChecker().diff(committed, generated) || '(whitespace only)';
    }

    it('src/platform/db/schema.generated.ts is what the migrations make', async () => {
      const diff = drift(await generate());
      if (diff !== undefined) {
        assert.fail(
          'src/platform/db/schema.generated.ts differs from the migrated database: run `npm run db:types` and commit it.\n' +
            `(- committed, + from the migrations)\n${diff}`,
        );
      }
    });

    it('sees a column a migration adds, and a narrowed column made nullable', async () => {
      await sql`ALTER TABLE customers ADD COLUMN drift_probe bigint`.execute(database.db);
      await sql`ALTER TABLE payments ALTER COLUMN state DROP NOT NULL`.execute(database.db);
      const diff = drift(await generate()) ?? '';
      assert.match(diff, /^\+ {2}drift_probe: bigint \| null;$/m);
      assert.match(diff, /^- {2}state: PaymentState;$/m);
      assert.match(diff, /^\+ {2}state: PaymentState \| null;$/m);
    });

    it('refuses a column type for a column the migrations no longer have', async () => {
      await sql`ALTER TABLE sync_log RENAME COLUMN direction TO way`.execute(database.db);
      await assert.rejects(generate(), /types columns the migrations do not create: sync_log\.direction/);
    });
  });
}
