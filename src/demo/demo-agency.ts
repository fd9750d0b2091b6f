import { type AgencyView, createAgency, findAgencyBySlug } from '../agency/agencies.ts';
import { createApiKey, ensureApiKey } from '../agency/api-keys.ts';
import { createBank } from '../agency/banks.ts';
import { createInstallmentPlan } from '../agency/installment-plans.ts';
import { updatePaymentSettings } from '../agency/payment-settings.ts';
import { createUser } from '../agency/users.ts';
import { addContact } from '../customers/contacts.ts';
import { createCustomer } from '../customers/customers.ts';
import { addTag, createPolicy, transition } from '../customers/policies.ts';
import type { PolicyStatus } from '../customers/rules/policy-lifecycle.ts';
import { type Actor, systemActor } from '../kernel/actor.ts';
import { addDays, addMonths, dateInZone } from '../kernel/calendar.ts';
import { billPolicy } from '../ledger/billing.ts';
import { createInvoice } from '../ledger/invoices.ts';
import { postCustomerReceipt } from '../ledger/receipt-posting.ts';
import { type Db, inTransaction } from '../platform/db/transaction.ts';

/**
 * The demo agency `npm start` loads into an empty database. The same names, numbers and amounts
 * every time; dates are anchored to `now` (the day it is loaded, unless a test or
 * `policypay demo --now` chooses it) so invoices are due around it and one policy is canceled ten
 * days before it.
 */
const DEMO_SLUG = 'demo';
export const DEMO_STAFF = {
  email: 'dana@demo.policypay.dev',
  password: 'policypay-demo',
  name: 'Dana Price',
};
const TIME_ZONE = 'America/Chicago';
/** The client portal's demo: the first customer's primary contact (no portal login until enrolled). */
const DEMO_CLIENT = { email: 'jane.smith@example.com', customerNumber: 1001 };
export const DEMO_BACKUP_EMAIL = 'office@demo.policypay.dev';

export interface DemoLoad {
  agency: AgencyView;
  created: boolean;
  /** The staff API key in clear text, when it was created now. */
  apiKey?: string;
  staff: typeof DEMO_STAFF;
  client: typeof DEMO_CLIENT;
}

const firstNames = [
  'Jane',
  'Marcus',
  'Priya',
  'Tomás',
  'Grace',
  'Wei',
  'Olivia',
  'Samuel',
  'Amara',
  'Lukas',
  'Hannah',
  'Diego',
  'Fatima',
  'Noah',
  'Yuki',
  'Elena',
  'Kwame',
  'Sofia',
  'Ravi',
  'Chloe',
];
const lastNames = [
  'Smith',
  'Johnson',
  'Patel',
  'García',
  'Kim',
  'Chen',
  'Brown',
  'Okafor',
  'Müller',
  'Rossi',
  'Nguyen',
  'Cohen',
  'Haddad',
  'Walker',
  'Tanaka',
  'Ivanova',
  'Mensah',
  'Lopez',
  'Shah',
  'Martin',
];
const groups = [
  'Riverside Dental Group',
  'Blue Oak Construction LLC',
  'Harbor Street Bakery',
  'Summit Logistics Inc',
  'Maple Grove HOA',
  'Northwind Software Co',
];
const lines = [
  'Homeowners',
  'Personal Auto',
  'Umbrella',
  'Renters',
  'Commercial Package',
  'Workers Compensation',
  'General Liability',
  'Commercial Auto',
];

/** A small seeded PRNG so the demo is the same every time. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface PolicyPlan {
  status: PolicyStatus;
  /** Months between the effective date and today. */
  monthsAgo: number;
  plan: 'Paid in Full' | 'Quarterly' | 'Monthly 10-pay';
  later?: { to: PolicyStatus; reason?: 'non_pay' | 'underwriting' | 'insured_request'; daysAgo?: number }[];
  tag?: string;
  /** Fraction of the first installments to mark paid in the demo: 1 = paid, 0.5 = half. */
  paid?: number[];
}

// Every lifecycle status appears, including the two cases the eligibility rules single out.
const policyPlans: PolicyPlan[] = [
  { status: 'active', monthsAgo: 2, plan: 'Monthly 10-pay', paid: [1, 0.5] },
  { status: 'active', monthsAgo: 4, plan: 'Quarterly', paid: [1, 1] },
  { status: 'active', monthsAgo: 1, plan: 'Paid in Full' },
  { status: 'active', monthsAgo: 0, plan: 'Monthly 10-pay' },
  { status: 'submitted', monthsAgo: 0, plan: 'Quarterly' },
  { status: 'unsubmitted', monthsAgo: -1, plan: 'Monthly 10-pay' },
  { status: 'rejected', monthsAgo: 0, plan: 'Paid in Full' },
  {
    status: 'active',
    monthsAgo: 5,
    plan: 'Monthly 10-pay',
    later: [{ to: 'cancellation_pending', reason: 'non_pay' }],
    tag: 'poor_payment_history',
    paid: [1, 1, 0.25],
  },
  {
    status: 'active',
    monthsAgo: 3,
    plan: 'Quarterly',
    later: [{ to: 'cancellation_pending', reason: 'underwriting' }],
    paid: [1],
  },
  {
    status: 'active',
    monthsAgo: 6,
    plan: 'Quarterly',
    later: [{ to: 'canceled', reason: 'insured_request', daysAgo: 10 }],
    paid: [1, 1],
  },
  { status: 'active', monthsAgo: 13, plan: 'Paid in Full', later: [{ to: 'expired' }], paid: [1] },
];

/**
 * The demo agency when an earlier start loaded it (a restart prints how to sign in again: the
 * demo staff password is the fixed DEMO_STAFF one, and nothing in policypay changes a password).
 */
export async function findDemoAgency(db: Db): Promise<DemoLoad | undefined> {
  const agency = await findAgencyBySlug(db, DEMO_SLUG);
  return agency ? { agency, created: false, staff: DEMO_STAFF, client: DEMO_CLIENT } : undefined;
}

export async function loadDemoAgency(
  db: Db,
  options: { apiKey?: string | undefined; now?: Date | undefined } = {},
): Promise<DemoLoad> {
  const existing = await findAgencyBySlug(db, DEMO_SLUG);
  if (existing) {
    // Restarting with POLICYPAY_DEMO_API_KEY set: make sure that key works.
    if (options.apiKey) {
      await ensureApiKey(db, systemActor(existing.id, 'demo'), {
        name: 'Demo staff key',
        role: 'staff',
        presetKey: options.apiKey,
      });
    }
    return { agency: existing, created: false, staff: DEMO_STAFF, client: DEMO_CLIENT };
  }
  const now = options.now ?? new Date();
  const today = dateInZone(now, TIME_ZONE);
  return inTransaction(db, async (tx) => {
    const agency = await createAgency(tx, { slug: DEMO_SLUG, name: 'Demo Agency', timeZone: TIME_ZONE });
    const actor: Actor = systemActor(agency.id, 'demo');
    const staff = await createUser(tx, actor, { ...DEMO_STAFF, role: 'staff' });
    const producer = await createUser(tx, actor, {
      email: 'pat@demo.policypay.dev',
      name: 'Pat Producer',
      role: 'agent',
    });
    const csr = await createUser(tx, actor, {
      email: 'casey@demo.policypay.dev',
      name: 'Casey Service',
      role: 'agent',
    });
    const staffActor: Actor = { ...actor, userId: staff.id, label: `user:${staff.email}` };
    // Online payments and reversals are also told to the office's shared mailbox.
    await updatePaymentSettings(tx, staffActor, { backupEmail: DEMO_BACKUP_EMAIL });

    const banks = [
      await createBank(tx, staffActor, {
        shortName: 'OPER',
        name: 'Operating Account',
        division: 'Main Office',
      }),
      await createBank(tx, staffActor, {
        shortName: 'TRUST',
        name: 'Premium Trust Account',
        division: 'Main Office',
      }),
      await createBank(tx, staffActor, {
        shortName: 'NORTH',
        name: 'North Branch Deposits',
        division: 'North Branch',
      }),
    ];
    // Three banks: payments that name none (autopay, the portal, agents' sweeps) need a default each.
    await updatePaymentSettings(tx, staffActor, {
      defaultDepositBanks: { autopay: 'OPER', secure_checkout: 'OPER', agent_sweep: 'TRUST' },
    });
    await createInstallmentPlan(tx, staffActor, {
      name: 'Paid in Full',
      installments: 1,
      frequency: 'annual',
    });
    await createInstallmentPlan(tx, staffActor, {
      name: 'Quarterly',
      installments: 4,
      frequency: 'quarterly',
      autopayLeadDays: 5,
    });
    await createInstallmentPlan(tx, staffActor, {
      name: 'Monthly 10-pay',
      installments: 10,
      frequency: 'monthly',
      autopayLeadDays: 3,
    });

    // Agencies migrating from another system carry on their numbering; so does the demo.
    await tx
      .insertInto('agency_counters')
      .values({ agency_id: agency.id, name: 'invoice', last_value: 5000n })
      .execute();
    const random = prng(20261121);
    let policySeq = 0;
    for (let i = 0; i < 26; i++) {
      const isGroup = i % 5 === 4;
      const name = isGroup
        ? groups[Math.floor(i / 5) % groups.length]!
        : `${firstNames[i % 20]} ${lastNames[(i * 7) % 20]}`;
      const slug = name
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]+/g, '.')
        .replace(/^\.|\.$/g, '');
      const customer = await createCustomer(tx, staffActor, {
        customerNumber: 1001 + i,
        type: isGroup ? 'group' : 'individual',
        name,
        email: `${slug}@example.com`,
        phone: `+1-312-555-${String(1000 + i * 37).slice(-4)}`,
        address: {
          line1: `${100 + i * 12} Lake Shore Dr`,
          city: 'Chicago',
          state: 'IL',
          postalCode: `606${String(i).padStart(2, '0')}`,
          country: 'US',
        },
        producerUserId: producer.id,
        csrUserId: csr.id,
      });
      await addContact(tx, staffActor, customer.customerNumber, {
        name,
        email: `${slug}@example.com`,
        primary: true,
      });
      if (isGroup) {
        await addContact(tx, staffActor, customer.customerNumber, {
          name: `Accounts Payable, ${name}`,
          email: `ap.${slug}@example.com`,
        });
      }

      const plansHere = i < policyPlans.length ? [policyPlans[i]!] : [policyPlans[i % 4]!];
      for (const plan of plansHere) {
        policySeq++;
        const line = lines[policySeq % lines.length]!;
        const policyNumber = `${line.replace(/[^A-Z]/g, '').slice(0, 3)}-${String(240000 + policySeq * 13)}`;
        const effectiveDate = addMonths(today, -plan.monthsAgo);
        const premiumCents = BigInt(Math.round((450 + random() * 4200) * 100));
        await createPolicy(tx, staffActor, {
          customerNumber: customer.customerNumber,
          policyNumber,
          lineOfBusiness: line,
          effectiveDate,
          expirationDate: addMonths(effectiveDate, 12),
          premiumCents,
          installmentPlan: plan.plan,
          status: plan.status,
        });
        if (['active', 'cancellation_pending', 'canceled', 'expired'].includes(plan.later?.at(-1)?.to ?? plan.status)) {
          const billed = await billPolicy(tx, staffActor, policyNumber, now);
          for (const [index, fraction] of (plan.paid ?? []).entries()) {
            const installment = billed[index];
            if (!installment) continue;
            const amountCents = (installment.amountCents * BigInt(Math.round(fraction * 100))) / 100n;
            // Paid the way agencies are paid: checks and cards posted as receipts.
            await postCustomerReceipt(tx, staffActor, {
              customerNumber: customer.customerNumber,
              items: [{ invoiceNumber: installment.invoiceNumber, amountCents }],
              receiptAmountCents: amountCents,
              receiptDate: addDays(installment.dueDate, -2),
              receiptDateTimeZone: TIME_ZONE,
              bankShortName: banks[index % 2]!.shortName,
              paymentCheckType: index % 2 === 0 ? 'Check' : 'CreditCard',
              payerCheckNumber: index % 2 === 0 ? String(1040 + policySeq * 3 + index) : undefined,
            });
          }
        }
        for (const step of plan.later ?? []) {
          await transition(
            tx,
            staffActor,
            policyNumber,
            {
              to: step.to,
              reason: step.reason,
              effectiveDate: step.daysAgo !== undefined ? addDays(today, -step.daysAgo) : undefined,
            },
            now,
          );
        }
        if (plan.tag) await addTag(tx, staffActor, policyNumber, plan.tag);
      }
      // Open AR imported as-is for a few customers: an invoice without a policy.
      if (i % 6 === 5) {
        await createInvoice(
          tx,
          staffActor,
          {
            customerNumber: customer.customerNumber,
            dueDate: addDays(today, 7 + i),
            amountCents: BigInt(Math.round((80 + random() * 400) * 100)),
            description: 'Imported open item',
          },
          now,
        );
      }
    }
    const key = await createApiKey(tx, actor, {
      name: 'Demo staff key',
      role: 'staff',
      presetKey: options.apiKey,
    });
    return { agency, created: true, apiKey: key.key, staff: DEMO_STAFF, client: DEMO_CLIENT };
  });
}
