// Issue 18 item 3: the book from a configured AMS connector's load. Customers, contacts and
// policies come as before; an AMS invoice with an open balance that matches no local invoice
// becomes opening AR as the CSV import makes it, linked to the AMS invoice so that loading again
// creates nothing twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { commitImport } from '../../src/imports/commit.ts';
import { textSource } from '../../src/imports/csv-rows.ts';
import { previewImport } from '../../src/imports/preview.ts';
import type { ImportKind } from '../../src/imports/rules/import-kinds.ts';
import { getInvoice } from '../../src/ledger/invoices.ts';
import type { Sandbox } from '../../src/payments/processors/sandbox/server.ts';
import { checkInvariants } from '../ledger/ledger-model-invariants.ts';
import { databaseTargets } from '../support/db.ts';
import { type SyncAgency, type SyncWorld, startSyncWorld, syncAgency } from '../support/sync.ts';

// No card or bank payment is made here: the processor has charged nothing, which is what the
// ledger's cash must then agree with.
const noProcessor = { charges: () => [], events: () => [] } as unknown as Sandbox;

for (const target of databaseTargets()) {
  describe(`the book from an AMS connector's first load on ${target}`, () => {
    let world: SyncWorld;
    before(async () => {
      world = await startSyncWorld(target);
    });
    after(async () => world.close());

    const db = () => world.server.database.db;
    const load = async (s: SyncAgency) => {
      const run = await s.api.post('/api/v1/sync/runs', { system: 'ams' });
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.equal(run.body.status, 'completed', JSON.stringify(run.body));
      return run.body;
    };
    const count = async (table: 'customers' | 'policies' | 'invoices' | 'journal_lines', agencyId: string) =>
      Number(
        (
          await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE agency_id = ${agencyId}`.execute(
            db(),
          )
        ).rows[0]!.n,
      );
    /** The local invoice each AMS invoice is linked to, with its number. */
    const linkedInvoices = async (agencyId: string) =>
      new Map(
        (
          await db()
            .selectFrom('sync_links as l')
            .innerJoin('invoices as i', 'i.id', 'l.local_id')
            .select(['l.external_id', 'i.invoice_number', 'i.amount_cents'])
            .where('l.agency_id', '=', agencyId)
            .where('l.entity', '=', 'invoice')
            .where('l.system', '=', 'ams')
            .execute()
        ).map((l) => [l.external_id, { number: l.invoice_number, amountCents: l.amount_cents }]),
      );
    const invoiceLog = async (agencyId: string) =>
      (
        await db()
          .selectFrom('sync_log')
          .select(['external_id', 'action', 'message', 'local_id'])
          .where('agency_id', '=', agencyId)
          .where('entity', '=', 'invoice')
          .orderBy('id')
          .execute()
      ).map((r) => ({ ...r, message: r.message ?? '' }));

    /** An AMS with two customers, their policies and invoices, loaded by nobody yet. */
    function seedAms(s: SyncAgency) {
      const harbor = s.ams.createCustomer({ customerName: 'Harbor Bakery', email: 'ap@harbor.example' });
      const quill = s.ams.createCustomer({ customerName: 'Quill Print Co', email: 'pay@quill.example' });
      const policy = (customerId: unknown, effectiveDate: string) =>
        (
          s.ams.addPolicy(customerId as string, {
            lineOfBusiness: 'BOP',
            effectiveDate,
            expirationDate: `${Number(effectiveDate.slice(0, 4)) + 1}${effectiveDate.slice(4)}`,
            premium: 1200,
          }) as { policyNumber: string }
        ).policyNumber;
      const harborPolicy = policy(harbor.customerId, '2026-01-01');
      const quillPolicy = policy(quill.customerId, '2026-03-01');
      const invoice = (customerId: unknown, invoice: Parameters<typeof s.ams.addInvoice>[1]) =>
        s.ams.addInvoice(customerId as string, invoice);
      invoice(harbor.customerId, {
        invoiceNumber: 90_001,
        policyNumber: harborPolicy,
        dueDate: '2026-10-01',
        amount: 300,
        openBalance: 300,
      });
      invoice(harbor.customerId, {
        invoiceNumber: 90_002,
        policyNumber: harborPolicy,
        dueDate: '2026-11-01',
        amount: 300,
        openBalance: 120.5,
      });
      invoice(harbor.customerId, {
        invoiceNumber: 90_003,
        policyNumber: harborPolicy,
        dueDate: '2026-09-01',
        amount: 300,
        openBalance: 0,
      });
      // A policy the AMS record does not list: its invoice cannot open AR.
      invoice(harbor.customerId, {
        invoiceNumber: 90_004,
        policyNumber: 'GL-ELSEWHERE',
        dueDate: '2026-10-15',
        amount: 80,
        openBalance: 80,
      });
      // More owed than billed: the AMS's figures are wrong, nothing is guessed.
      invoice(quill.customerId, {
        invoiceNumber: 90_005,
        policyNumber: quillPolicy,
        dueDate: '2026-10-20',
        amount: 100,
        openBalance: 150,
      });
      invoice(quill.customerId, {
        invoiceNumber: 90_006,
        policyNumber: quillPolicy,
        dueDate: '2026-12-01',
        amount: 1_000,
        openBalance: 1_000,
      });
      return { harbor, quill, harborPolicy, quillPolicy };
    }

    it('creates the opening AR (balances = open balances) linked to the AMS invoices, keeps the ledger whole, creates nothing twice, and a receipt reduces an opening invoice', async () => {
      const s = await syncAgency(world, { amsWebhooks: false });
      try {
        const ams = seedAms(s);
        const first = await load(s);
        assert.equal(first.created, 2, 'the two AMS customers');
        assert.equal(await count('customers', s.agency.id), 2);
        assert.equal(await count('policies', s.agency.id), 2);

        // Open (90001), partly paid (90002) and Quill's (90006) open AR; paid, policy unknown and
        // open balance above the amount do not.
        const linked = await linkedInvoices(s.agency.id);
        assert.deepEqual([...linked.keys()].sort(), ['90001', '90002', '90006']);
        assert.equal(await count('invoices', s.agency.id), 3);
        const open = await getInvoice(db(), s.agency.actor, linked.get('90001')!.number);
        assert.equal(open.amountCents, 30_000n);
        assert.equal(open.balanceCents, 30_000n);
        assert.equal(open.dueDate, '2026-10-01');
        assert.equal(open.description, 'Opening balance');
        const partly = await getInvoice(db(), s.agency.actor, linked.get('90002')!.number);
        assert.equal(partly.amountCents, 12_050n);
        assert.equal(partly.balanceCents, 12_050n);
        assert.equal(partly.status, 'open');
        assert.match(partly.description ?? '', /billed \$300\.00 before import/);
        const quillInvoice = await getInvoice(db(), s.agency.actor, linked.get('90006')!.number);
        assert.equal(quillInvoice.balanceCents, 100_000n);
        // policypay's own numbers (the AMS's stay on the link), in one run of the agency's counter.
        const numbers = [...linked.values()].map((l) => l.number).sort((a, b) => a - b);
        assert.ok(
          numbers.every((n) => n < 90_000),
          `policypay numbers: ${numbers}`,
        );
        assert.equal(new Set(numbers).size, 3);

        // Every opening entry debits AR against opening_balance; the trial balance is zero and each
        // invoice's balance is its amount less what is applied (the ledger model's invariants).
        const byAccount = await sql<{ account: string; total: string }>`
          SELECT account, sum(amount_cents)::text AS total FROM journal_lines WHERE agency_id = ${s.agency.id}
          GROUP BY account ORDER BY account`.execute(db());
        assert.deepEqual(byAccount.rows, [
          { account: 'accounts_receivable', total: '142050' },
          { account: 'opening_balance', total: '-142050' },
        ]);
        await checkInvariants(db(), noProcessor, s.agency.id, { inFlightAllowed: false });
        const audits = await db()
          .selectFrom('audit_log')
          .select(['actor', 'entity_id'])
          .where('agency_id', '=', s.agency.id)
          .where('action', '=', 'invoice.created')
          .execute();
        assert.equal(audits.length, 3);
        assert.ok(audits.every((a) => a.actor === 'sync:ams'));

        // The log says what became of each AMS invoice, and why.
        const log = await invoiceLog(s.agency.id);
        const of = (id: string) => log.filter((r) => r.external_id === id);
        for (const id of ['90001', '90002', '90006']) {
          assert.equal(of(id).length, 1, id);
          assert.equal(of(id)[0]!.action, 'created');
          assert.match(of(id)[0]!.message, /^opening AR: /);
        }
        assert.match(of('90002')[0]!.message, /\$120\.50 open of \$300\.00 billed in the AMS/);
        assert.deepEqual(
          ['90003', '90004', '90005'].map((id) => of(id).map((r) => r.action)),
          [['skipped'], ['unmatched'], ['invalid']],
        );
        assert.match(of('90003')[0]!.message, /nothing is owed/);
        assert.match(of('90004')[0]!.message, /policy GL-ELSEWHERE is not known here/);
        assert.match(of('90005')[0]!.message, /greater than the amount/);

        // policypay bills an invoice; the AMS records it too (still wholly open) and changes the
        // customers: the second load links that one and creates nothing it created before.
        const harborNumber = (await s.api.get('/api/v1/customers?search=Harbor')).body.data[0].customerNumber as number;
        const billed = await s.api.post('/api/v1/invoices', {
          customerNumber: harborNumber,
          policyNumber: ams.harborPolicy,
          dueDate: '2027-01-01',
          amount: 300,
        });
        assert.equal(billed.status, 201, JSON.stringify(billed.body));
        s.ams.addInvoice(ams.harbor.customerId as string, {
          invoiceNumber: 90_007,
          policyNumber: ams.harborPolicy,
          dueDate: '2027-01-01',
          amount: 300,
          openBalance: 300,
        });
        s.ams.updateCustomer(ams.quill.customerId as string, { phone: '312-555-0199' });
        const lines = await count('journal_lines', s.agency.id);
        const second = await load(s);
        assert.equal(second.updated, 2, 'both records came again, changed');
        assert.equal(await count('invoices', s.agency.id), 4, 'the three opening invoices and the billed one');
        assert.equal(await count('journal_lines', s.agency.id), lines);
        const relinked = await linkedInvoices(s.agency.id);
        assert.deepEqual([...relinked.keys()].sort(), ['90001', '90002', '90006', '90007']);
        assert.equal(relinked.get('90007')!.number, billed.body.invoiceNumber);
        for (const id of ['90001', '90002', '90006']) assert.deepEqual(relinked.get(id), linked.get(id));
        const again = (await invoiceLog(s.agency.id)).slice(log.length);
        assert.deepEqual(again.map((r) => [r.external_id, r.action]).sort(), [
          ['90003', 'skipped'],
          ['90004', 'unmatched'],
          ['90005', 'invalid'],
          ['90007', 'linked'],
        ]);
        // A full re-read from the start (unchanged records) writes nothing at all.
        await db().deleteFrom('sync_cursors').where('agency_id', '=', s.agency.id).execute();
        const reread = await load(s);
        assert.equal(reread.unchanged, 2);
        assert.equal(await count('invoices', s.agency.id), 4);
        assert.equal((await invoiceLog(s.agency.id)).length, log.length + again.length);

        // A receipt against the partly paid opening invoice reduces it.
        await createBank(db(), s.agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
        const paid = await s.api.post('/api/v1/receipt/customer', {
          customerNumber: harborNumber,
          invoiceInformations: [{ invoiceNumber: partly.invoiceNumber, paymentAmount: 20.5 }],
          receiptAmount: 20.5,
          receiptDate: '2026-11-20',
          receiptDateTimeZone: 'America/Chicago',
          bankShortName: 'OPER',
          paymentCheckType: 'Check',
          payerCheckNumber: '1042',
        });
        assert.equal(paid.status, 201, JSON.stringify(paid.body));
        const reduced = await getInvoice(db(), s.agency.actor, partly.invoiceNumber);
        assert.equal(reduced.balanceCents, 10_000n);
        assert.equal(reduced.status, 'partially_paid');
        await checkInvariants(db(), noProcessor, s.agency.id, { inFlightAllowed: false });
      } finally {
        await s.close();
      }
    });

    it('after a CSV import of the same book, the load links the imported opening invoice instead of opening AR again', async () => {
      const s = await syncAgency(world, { amsWebhooks: false });
      try {
        const files: [ImportKind, string][] = [
          ['customers', 'externalId,name,email\nAMS-5001,Harbor Bakery,ap@harbor.example\n'],
          [
            'policies',
            'policyNumber,customer,lineOfBusiness,effectiveDate,expirationDate\nAMS-P000001,AMS-5001,BOP,2026-01-01,2027-01-01\n',
          ],
          [
            'invoices',
            'invoiceNumber,customer,policyNumber,dueDate,amount,openBalance\n90002,AMS-5001,AMS-P000001,2026-11-01,300.00,120.50\n',
          ],
        ];
        for (const [kind, text] of files) {
          const shown = await previewImport(db(), s.agency.actor, { kind, source: textSource(text), content: text });
          assert.equal(shown.status, 'previewed', JSON.stringify(shown.problems));
          await commitImport(db(), s.agency.actor, shown.id, { now: new Date('2026-03-20T15:00:00Z') });
        }
        const harbor = s.ams.createCustomer({ customerName: 'Harbor Bakery', email: 'ap@harbor.example' });
        const { policyNumber } = s.ams.addPolicy(harbor.customerId as string, {
          effectiveDate: '2026-01-01',
          expirationDate: '2027-01-01',
        }) as { policyNumber: string };
        assert.equal(policyNumber, 'AMS-P000001');
        s.ams.addInvoice(harbor.customerId as string, {
          invoiceNumber: 90_002,
          policyNumber,
          dueDate: '2026-11-01',
          amount: 300,
          openBalance: 120.5,
        });
        await load(s);
        assert.equal(await count('customers', s.agency.id), 1, 'matched by name and e-mail');
        assert.equal(await count('invoices', s.agency.id), 1, 'no second opening invoice');
        assert.deepEqual(
          [...(await linkedInvoices(s.agency.id)).entries()],
          [['90002', { number: 90_002, amountCents: 12_050n }]],
        );
        assert.deepEqual(
          (await invoiceLog(s.agency.id)).map((r) => [r.external_id, r.action]),
          [['90002', 'linked']],
        );
        await checkInvariants(db(), noProcessor, s.agency.id, { inFlightAllowed: false });
      } finally {
        await s.close();
      }
    });

    it("a second agency loading its own AMS (same AMS invoice numbers) gets only its own, and sees none of the first's", async () => {
      const first = await syncAgency(world, { amsWebhooks: false });
      const second = await syncAgency(world, { amsWebhooks: false });
      try {
        seedAms(first);
        await load(first);
        const firstLinks = await linkedInvoices(first.agency.id);
        assert.equal(firstLinks.size, 3);

        const other = second.ams.createCustomer({ customerName: 'Harbor Bakery', email: 'ap@harbor.example' });
        const { policyNumber } = second.ams.addPolicy(other.customerId as string, {
          effectiveDate: '2026-01-01',
          expirationDate: '2027-01-01',
        }) as { policyNumber: string };
        second.ams.addInvoice(other.customerId as string, {
          invoiceNumber: 90_001,
          policyNumber,
          dueDate: '2026-10-01',
          amount: 75,
          openBalance: 75,
        });
        await load(second);
        const secondLinks = await linkedInvoices(second.agency.id);
        assert.deepEqual(
          [...secondLinks.entries()].map(([id, l]) => [id, l.amountCents]),
          [['90001', 7_500n]],
        );
        assert.equal(await count('invoices', second.agency.id), 1);
        assert.deepEqual(await linkedInvoices(first.agency.id), firstLinks, "the first agency's are untouched");

        // Through the API, the second agency sees only its own invoice.
        const mine = secondLinks.get('90001')!.number;
        for (const { number } of firstLinks.values()) {
          if (number === mine) continue;
          assert.equal((await second.api.get(`/api/v1/invoices/${number}`)).status, 404);
        }
        const shown = await second.api.get(`/api/v1/invoices/${mine}`);
        assert.equal(shown.status, 200);
        assert.equal(shown.body.amount, 75);
        await checkInvariants(db(), noProcessor, second.agency.id, { inFlightAllowed: false });
      } finally {
        await first.close();
        await second.close();
      }
    });
  });
}
