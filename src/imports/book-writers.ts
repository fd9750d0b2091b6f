import { invoiceAutopayTime } from '../autopay/rules/autopay-time.ts';
import { addContact } from '../customers/contacts.ts';
import { createCustomer } from '../customers/customers.ts';
import { createPolicy, transition } from '../customers/policies.ts';
import type { Actor } from '../kernel/actor.ts';
import { formatAmount } from '../kernel/money.ts';
import { planAutopayTimes } from '../ledger/installments.ts';
import { insertInvoice } from '../ledger/invoices.ts';
import type { Tx } from '../platform/db/transaction.ts';
import type { RowPlan } from './book-matching.ts';

/**
 * Writes one planned row through the capabilities' own use cases (which audit, number and queue
 * sync pushes as any other creation does), in the batch's transaction.
 */
export async function writeRow(tx: Tx, actor: Actor, plan: RowPlan, today: string, now: Date): Promise<void> {
  if (plan.outcome === 'problem' || plan.outcome === 'skipped') return;
  const { row } = plan;
  switch (row.kind) {
    case 'customers': {
      let customerId = plan.customer?.id;
      if (plan.outcome === 'create') {
        const created = await createCustomer(tx, actor, {
          customerNumber: row.customerNumber,
          type: row.type,
          name: row.name,
          email: row.email,
          phone: row.phone,
          address: row.address,
        });
        customerId = created.id;
      }
      // A customer matched by number learns its external id too, so later files may use either.
      if (row.externalId && customerId) {
        await tx
          .insertInto('imported_customers')
          .values({ agency_id: actor.agencyId, external_id: row.externalId, customer_id: customerId })
          .onConflict((oc) => oc.columns(['agency_id', 'external_id']).doNothing())
          .execute();
      }
      return;
    }
    case 'contacts':
      if (plan.outcome === 'create') {
        await addContact(tx, actor, plan.customer!.customerNumber, {
          name: row.name,
          email: row.email,
          phone: row.phone,
          primary: row.primary,
        });
      }
      return;
    case 'policies': {
      if (plan.outcome !== 'create') return;
      const pending = row.status === 'cancellation_pending' || row.status === 'canceled';
      // Those two statuses carry details only a transition records: the policy is made active first.
      await createPolicy(tx, actor, {
        customerNumber: plan.customer!.customerNumber,
        policyNumber: row.policyNumber,
        lineOfBusiness: row.lineOfBusiness,
        effectiveDate: row.effectiveDate,
        expirationDate: row.expirationDate,
        premiumCents: row.premiumCents,
        installmentPlan: row.installmentPlan,
        status: pending ? 'active' : row.status,
      });
      if (pending) {
        await transition(
          tx,
          actor,
          row.policyNumber,
          { to: row.status, reason: row.cancellationReason, effectiveDate: row.cancellationEffectiveDate },
          now,
        );
      }
      return;
    }
    case 'invoices': {
      if (plan.outcome !== 'create') return;
      const times = await planAutopayTimes(tx, actor.agencyId, plan.policy?.planId ?? null, [row.dueDate]);
      const partly = row.openBalanceCents < row.amountCents;
      const description =
        row.description ??
        (partly ? `Opening balance (billed ${formatAmount(row.amountCents)} before import)` : 'Opening balance');
      // The invoice is what is left to collect: its amount is the open balance, posted as a debit
      // to AR against opening_balance (not premium: that was billed in the old system).
      await insertInvoice(
        tx,
        actor,
        {
          customerId: plan.customer!.id,
          policyId: plan.policy?.id ?? null,
          invoiceNumber: row.invoiceNumber,
          dueDate: row.dueDate,
          amountCents: row.openBalanceCents,
          description,
          autopayTime: invoiceAutopayTime(times),
          revenueAccount: 'opening_balance',
        },
        today,
      );
      return;
    }
  }
}
