import { join } from 'node:path';
import { createCustomer } from '../../src/customers/customers.ts';
import { createInvoice } from '../../src/ledger/invoices.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { ensureWebAssets } from '../../src/web/build.ts';
import { openTestDatabase, type Target } from './db.ts';
import { createTestAgency, type TestAgency } from './fixtures.ts';
import { assertResponsesMatchedDocument, buildTestApp } from './openapi.ts';

export interface TestServer {
  url: string;
  app: App;
  database: DatabaseHandle;
  agency: TestAgency;
  staff: { email: string; password: string };
  agencyName: string;
  seeded: { customerNumber: number; customerName: string; invoiceNumber: number };
  close(): Promise<void>;
}

/**
 * The real server on a random loopback port over a fresh migrated database, with an agency, a
 * staff user and API key, and one customer with one invoice. The web UI is built and served
 * unless `web: false`.
 */
export async function startTestServer(
  options: { target?: Target; web?: boolean; clock?: () => Date } = {},
): Promise<TestServer> {
  const database = await openTestDatabase(options.target ?? 'pglite');
  const agency = await createTestAgency(database.db, 'Harbor Insurance Agency');
  const customer = await createCustomer(database.db, agency.actor, {
    type: 'individual',
    name: 'Jane Smith',
    email: 'jane.smith@example.com',
  });
  // Billed on the server's day (its clock), as an invoice the API creates is.
  const invoice = await createInvoice(
    database.db,
    agency.actor,
    { customerNumber: customer.customerNumber, dueDate: '2026-12-01', amountCents: 125_050n },
    options.clock?.(),
  );
  let webDir: string | undefined;
  if (options.web ?? true) {
    // One build shared by every test process (content-addressed, so never stale or half-written).
    webDir = (await ensureWebAssets(join(import.meta.dirname, '..', '..', '.cache', 'web'))).dir;
  }
  const app = await buildTestApp({ database, webDir, ...(options.clock ? { clock: options.clock } : {}) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    app,
    database,
    agency,
    staff: agency.staff,
    agencyName: agency.name,
    seeded: {
      customerNumber: customer.customerNumber,
      customerName: customer.name,
      invoiceNumber: invoice.invoiceNumber,
    },
    async close() {
      await app.close();
      await database.close();
      assertResponsesMatchedDocument(app);
    },
  };
}
