import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { createUser } from '../../src/agency/users.ts';
import { addContact } from '../../src/customers/contacts.ts';
import { createCustomer } from '../../src/customers/customers.ts';
import { createInvoice } from '../../src/ledger/invoices.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { startWorkers, type Workers } from '../../src/platform/app/workers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { SignInLimits } from '../../src/platform/http/sign-in-limits.ts';
import type { App } from '../../src/platform/http/types.ts';
import { bossJobQueue } from '../../src/platform/jobs/boss-job-queue.ts';
import { createLogger } from '../../src/platform/log/logger.ts';
import { issuePortalLink } from '../../src/portal/links.ts';
import { ensureWebAssets } from '../../src/web/build.ts';
import { openTestDatabase, type Target } from './db.ts';
import { createTestAgency, type TestAgency } from './fixtures.ts';
import { type ApiClient, apiClient, type JsonResponse } from './http.ts';
import { startSmtpServer, type TestSmtpServer } from './mail.ts';
import { assertResponsesMatchedDocument, buildTestApp } from './openapi.ts';
import { WEBHOOK_SECRET } from './payments.ts';

export interface PortalCustomer {
  customerNumber: number;
  contactId: string;
  email: string;
  invoiceNumber: number;
}

export interface PortalWorld {
  database: DatabaseHandle;
  agency: TestAgency;
  sandbox: Sandbox;
  smtp: TestSmtpServer;
  workers: Workers;
  app: App;
  url: string;
  api: ApiClient;
  producerEmail: string;
  csrEmail: string;
  /** Adds a customer with a producer, a CSR, a contact with an e-mail and one $500 invoice. */
  addCustomer(name: string): Promise<PortalCustomer>;
  close(): Promise<void>;
}

/**
 * The server, the sandbox processor, a real SMTP server and the pg-boss workers (payments and
 * e-mail, sending over SMTP), for the payment request and portal flows.
 */
export async function startPortalWorld(
  target: Target,
  options: { signInLimits?: Partial<SignInLimits>; emailRetryDelaySeconds?: number; web?: boolean } = {},
): Promise<PortalWorld> {
  const database = await openTestDatabase(target);
  const agency = await createTestAgency(database.db, 'Harbor <Insurance> & Co');
  await createBank(database.db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
  const producerEmail = `pat@${agency.slug}.example`;
  const csrEmail = `casey@${agency.slug}.example`;
  const producer = await createUser(database.db, agency.actor, { email: producerEmail, name: 'Pat', role: 'agent' });
  const csr = await createUser(database.db, agency.actor, { email: csrEmail, name: 'Casey', role: 'agent' });
  const sandbox = await startSandbox({ webhookSecret: WEBHOOK_SECRET, webhookRetryDelaysMs: [50, 100] });
  const processors = createProcessors({
    sandboxUrl: sandbox.url,
    sandboxWebhookSecret: WEBHOOK_SECRET,
    sandboxTimeoutMs: 1_500,
  });
  const smtp = await startSmtpServer();
  const schema = `pgboss_${randomBytes(4).toString('hex')}`;
  const workers = await startWorkers(database, {
    schema,
    processors,
    email: { smtpUrl: smtp.url, retryDelaySeconds: options.emailRetryDelaySeconds ?? 1 },
  });
  // The console and portal pages, for the tests that drive them in Chromium (one shared build).
  const webDir = options.web
    ? (await ensureWebAssets(join(import.meta.dirname, '..', '..', '.cache', 'web'))).dir
    : undefined;
  const app = await buildTestApp({
    database,
    processors,
    webDir,
    jobs: bossJobQueue(workers.boss),
    // Every test client comes from 127.0.0.1: the production limits would throttle a test file.
    // portal-auth.test.ts and security.test.ts test the limits with their own small ones.
    signInLimits: options.signInLimits ?? generousLimits(),
    // POLICYPAY_TEST_LOG=1 shows the server's errors while debugging a test.
    logger: process.env.POLICYPAY_TEST_LOG ? createLogger({ level: 'error' }) : false,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  sandbox.setWebhookUrl(`${url}/api/v1/webhooks/sandbox`);
  let seq = 0;
  return {
    database,
    agency,
    sandbox,
    smtp,
    workers,
    app,
    url,
    api: apiClient(url, agency.apiKey),
    producerEmail,
    csrEmail,
    async addCustomer(name) {
      seq++;
      const email = `client${seq}.${randomBytes(3).toString('hex')}@example.com`;
      const customer = await createCustomer(database.db, agency.actor, {
        type: 'individual',
        name,
        email,
        producerUserId: producer.id,
        csrUserId: csr.id,
      });
      const contact = await addContact(database.db, agency.actor, customer.customerNumber, { name, email });
      const invoice = await createInvoice(database.db, agency.actor, {
        customerNumber: customer.customerNumber,
        dueDate: '2099-12-01',
        amountCents: 50_000n,
      });
      return {
        customerNumber: customer.customerNumber,
        contactId: contact.id,
        email,
        invoiceNumber: invoice.invoiceNumber,
      };
    },
    async close() {
      await app.close();
      await workers.stop();
      if (target === 'postgres') await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(database.db);
      await sandbox.close();
      await smtp.close();
      await database.close();
      assertResponsesMatchedDocument(app);
    },
  };
}

/** A browser-like client of the portal: keeps the `pp_portal` cookie it is given. */
export function portalClient(baseUrl: string) {
  let cookie = '';
  async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        // A browser sends its page's origin with every POST and DELETE (the API's CSRF rule).
        origin: new URL(baseUrl).origin,
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = response.headers.getSetCookie().find((c) => c.startsWith('pp_portal='));
    if (set) cookie = set.split(';')[0]!;
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body: parsed as T } satisfies JsonResponse<T>;
  }
  return {
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('POST', path, body, headers),
    delete: <T = any>(path: string) => call<T>('DELETE', path),
    get cookie() {
      return cookie;
    },
    set cookie(value: string) {
      cookie = value;
    },
  };
}

export type PortalClient = ReturnType<typeof portalClient>;

function generousLimits(): SignInLimits {
  const many = { max: 10_000, windowMs: 60_000 };
  return { staffSignIn: many, portalSignIn: many, portalRedeem: many, portalLink: many };
}

/** A portal client signed in as a customer's contact (an enrollment link issued and redeemed). */
export async function portalSessionFor(
  database: DatabaseHandle,
  agency: { id: string; slug: string },
  baseUrl: string,
  customer: { customerNumber: number; contactId: string },
): Promise<PortalClient> {
  const { id: customerId } = await database.db
    .selectFrom('customers')
    .select('id')
    .where('agency_id', '=', agency.id)
    .where('customer_number', '=', customer.customerNumber)
    .executeTakeFirstOrThrow();
  const link = await database.db.transaction().execute((tx) =>
    issuePortalLink(tx, {
      agencyId: agency.id,
      agencySlug: agency.slug,
      customerId,
      contactId: customer.contactId,
      purpose: 'enroll',
      validMs: 3_600_000,
      portalUrl: `${baseUrl}/portal`,
    }),
  );
  const client = portalClient(baseUrl);
  const params = new URL(link).searchParams;
  const redeemed = await client.post('/api/v1/portal/tokens/redeem', {
    agency: params.get('agency'),
    token: params.get('token'),
  });
  if (redeemed.status !== 200) throw new Error(`redeem failed: ${JSON.stringify(redeemed.body)}`);
  return client;
}
