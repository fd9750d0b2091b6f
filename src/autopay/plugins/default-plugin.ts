import type { AutopayPlugin } from '../rules/autopay.ts';

/**
 * The default autopay plugin: charge the method the customer enrolled for the invoice's open
 * balance, as a `requested` payment the execution workers collect (with the default retry plan).
 */
export const defaultAutopayPlugin: AutopayPlugin = async (invoice, context) => ({
  payment: {
    type: context.enrollment.paymentMethodKind,
    amountCents: invoice.balanceCents,
    state: 'requested',
    currency: invoice.currency,
    paymentMethodId: context.enrollment.paymentMethodId,
    targets: [{ invoiceNumber: invoice.invoiceNumber, amountCents: invoice.balanceCents }],
  },
});
