import { readFile } from 'node:fs/promises';
import { createAgency, findAgencyBySlug } from '../../agency/agencies.ts';
import { updateCustomer } from '../../customers/customer-edits.ts';
import { createCustomer } from '../../customers/customers.ts';
import { systemActor } from '../../kernel/actor.ts';
import { DomainError } from '../../kernel/errors.ts';
import { configureConnector } from '../../sync/connectors.ts';
import { agenciesWithConnector, type DailySyncResult, runDailySync } from '../../sync/daily.ts';
import { AmsDouble } from '../../sync/doubles/ams-double.ts';
import { BenefitsDouble } from '../../sync/doubles/benefits-double.ts';
import { amsDoubleMapping, benefitsDoubleMapping } from '../../sync/doubles/mappings.ts';
import { pushPending, requestCustomerPush } from '../../sync/push.ts';
import type { SyncSystem } from '../../sync/rules/records.ts';
import { getCustomerSync } from '../../sync/views.ts';
import { buildApp } from '../app/app.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { say } from '../log/output.ts';
import { configureOutboundPolicy, outboundPolicy } from '../outbound.ts';

/** A progress line on stderr (the total is not known ahead: changes are paged until the last). */
function progressLine(label: string) {
  const stream = process.stderr;
  return {
    update(run: DailySyncResult) {
      const line = `${label} [${'#'.repeat(Math.min(30, run.pages))}] ${run.received} records, ${run.pages} pages`;
      if (stream.isTTY) stream.write(`\r${line}`);
      else if (run.pages % 10 === 1) stream.write(`${line}\n`);
    },
    end() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

function summariseSync(slug: string, run: DailySyncResult): string {
  return [
    `${slug}: ${run.system} sync ${run.status} — ${run.received} record(s) in ${run.pages} page(s), cursor ${run.cursor ?? '(start)'}`,
    `  created ${run.created}, linked ${run.linked}, updated ${run.updated}, unchanged ${run.unchanged}, ` +
      `stale ${run.stale}, to review ${run.review}, rejected ${run.rejected}, invalid ${run.invalid}`,
    ...(run.error ? [`  stopped: ${run.error} (re-run to go on from the cursor)`] : []),
  ].join('\n');
}

/** `policypay sync run --system benefits [--agency slug]`: the daily sync by hand. */
export async function runSyncCommand(
  database: DatabaseHandle,
  options: { system: SyncSystem; agency?: string | undefined; pageSize?: number | undefined },
): Promise<DailySyncResult[]> {
  let agencies: { id: string; slug: string }[];
  if (options.agency) {
    const agency = await findAgencyBySlug(database.db, options.agency);
    if (!agency) throw new DomainError('not_found', `no agency with slug "${options.agency}"`);
    agencies = [agency];
  } else {
    const ids = await agenciesWithConnector(database.db, options.system);
    const rows = ids.length
      ? await database.db.selectFrom('agencies').select(['id', 'slug']).where('id', 'in', ids).execute()
      : [];
    agencies = rows;
  }
  if (agencies.length === 0) say(`no agency has a ${options.system} connector`);
  const runs: DailySyncResult[] = [];
  for (const agency of agencies) {
    const bar = progressLine(agency.slug);
    const run = await runDailySync(database.db, agency.id, options.system, {
      pageSize: options.pageSize,
      onPage: (r) => bar.update(r),
    });
    bar.end();
    const pushed = await pushPending(database.db, agency.id);
    say(summariseSync(agency.slug, run));
    if (pushed.pushed + pushed.failed > 0) say(`  pushes: ${pushed.pushed} sent, ${pushed.failed} failed`);
    runs.push(run);
  }
  return runs;
}

/** `policypay sync connector`: configure a system's REST connector from a JSON mapping file. */
export async function configureConnectorCommand(
  database: DatabaseHandle,
  options: { agency: string; system: SyncSystem; mapping: string; disabled?: boolean },
): Promise<void> {
  const agency = await findAgencyBySlug(database.db, options.agency);
  if (!agency) throw new DomainError('not_found', `no agency with slug "${options.agency}"`);
  let mapping: unknown;
  try {
    mapping = JSON.parse(await readFile(options.mapping, 'utf8'));
  } catch (error) {
    throw new DomainError('validation_failed', `cannot read ${options.mapping}: ${(error as Error).message}`);
  }
  try {
    const view = await configureConnector(database.db, systemActor(agency.id, 'cli'), options.system, {
      kind: 'rest',
      mapping: mapping as never,
      enabled: !options.disabled,
    });
    say(
      `${options.system} connector for ${agency.slug}: ${view.mapping.baseUrl} (${view.enabled ? 'enabled' : 'disabled'})`,
    );
    say(
      `webhook: POST /api/v1/sync/webhooks/${agency.slug}/${options.system}, ${view.webhookSecret ? `secret ${view.webhookSecret} (shown once)` : 'secret unchanged'}`,
    );
  } catch (error) {
    if (error instanceof DomainError && error.errors.length > 0) {
      const lines = error.errors.map((e) => `  ${e.path}: ${e.message}`);
      throw new DomainError('validation_failed', `${error.message}\n${lines.join('\n')}`);
    }
    throw error;
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `policypay sync demo`: the reference integration's scenarios against the AMS and benefits test
 * doubles, through the same server, webhooks, connector and daily sync as production.
 */
export async function runSyncDemo(database: DatabaseHandle): Promise<void> {
  const db = database.db;
  const slug = `sync-demo-${Date.now().toString(36)}`;
  const agency = await createAgency(db, { slug, name: 'Sync Demo Agency', timeZone: 'America/Chicago' });
  const actor = systemActor(agency.id, 'sync-demo');
  // The doubles listen on loopback in this process: the demo allows that whatever the operator's policy.
  configureOutboundPolicy({ ...outboundPolicy(), allowPrivate: true });
  const ams = new AmsDouble();
  const benefits = new BenefitsDouble();
  const app = await buildApp({ database });
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    await ams.start();
    await benefits.start();
    benefits.ams = { url: ams.server.url, apiKey: 'ams-double-key' };
    const amsConnector = await configureConnector(db, actor, 'ams', {
      kind: 'rest',
      mapping: amsDoubleMapping(ams.server.url),
    });
    await configureConnector(db, actor, 'benefits', {
      kind: 'rest',
      mapping: benefitsDoubleMapping(benefits.server.url),
    });
    ams.server.setWebhook({
      url: `${url}/api/v1/sync/webhooks/${slug}/ams`,
      secret: amsConnector.webhookSecret as string,
    });
    say(`agency ${slug}; AMS double ${ams.server.url}, benefits double ${benefits.server.url}, server ${url}\n`);

    const badges = async (name: string) => {
      const row = await db
        .selectFrom('customers')
        .select('customer_number')
        .where('agency_id', '=', agency.id)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!row) return `${name}: not in policypay`;
      const view = await getCustomerSync(db, actor, row.customer_number);
      const labels = view.badges.map((b) => `${b.label} (${b.externalId})`).join(', ');
      return `${name}: customer ${row.customer_number} — ${labels || 'not synced'}`;
    };
    const daily = async () => say(summariseSync(slug, await runDailySync(db, agency.id, 'benefits')));

    say('1. Account created in the AMS; then added in the benefits system by searching the AMS by name');
    ams.createCustomer({ customerName: 'Acme Dental Group', customerType: 'group', email: 'office@acme.example' });
    await wait(300);
    say(`   after the real-time webhook: ${await badges('Acme Dental Group')}`);
    await benefits.createAccount({ accountName: 'Acme Dental Group' }, { existsInAms: true });
    await daily();
    say(`   after the daily sync: ${await badges('Acme Dental Group')}\n`);

    say('2. Account created only in the benefits system');
    benefits.ams = null;
    await benefits.createAccount({ accountName: 'Birch Family', accountType: 'individual' });
    benefits.ams = { url: ams.server.url, apiKey: 'ams-double-key' };
    await daily();
    say(`   ${await badges('Birch Family')}\n`);

    say('3. Systems connected: account created in the benefits system is created in the AMS too');
    await benefits.createAccount({ accountName: 'Cedar Logistics LLC', accountType: 'group' });
    await wait(300);
    say(`   after the real-time webhook: ${await badges('Cedar Logistics LLC')}`);
    await daily();
    say(`   after the daily sync: ${await badges('Cedar Logistics LLC')}\n`);

    say('4. Created in policypay and pushed to both systems; a later edit follows it to both');
    // Pushed to the AMS first, so the benefits account carries the AMS number and is not re-created there.
    const local = await createCustomer(db, actor, { type: 'individual', name: 'Dana Hub', email: 'dana@example.com' });
    await requestCustomerPush(db, actor, local.customerNumber, ['ams', 'benefits']);
    await pushPending(db, agency.id);
    await updateCustomer(db, actor, local.customerNumber, { email: 'dana@new.example' });
    await pushPending(db, agency.id);
    say(`   ${await badges('Dana Hub')}`);
    const inAms = ams.customers.all().find((r) => r.data.customerName === 'Dana Hub');
    say(`   the AMS has e-mail ${String(inAms?.data.email)}\n`);
    const customers = await db.selectFrom('customers').select('id').where('agency_id', '=', agency.id).execute();
    say(`${customers.length} customers in policypay, no duplicates. The sync log: GET /api/v1/sync/log`);
  } finally {
    // The doubles end with the demo: its connectors are disabled, so the daily schedule skips them.
    await db.updateTable('sync_connectors').set({ enabled: false }).where('agency_id', '=', agency.id).execute();
    await app.close();
    await ams.stop();
    await benefits.stop();
  }
}
