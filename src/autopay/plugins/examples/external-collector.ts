import type { AutopayPlugin } from '../../rules/autopay.ts';

/**
 * Worked example of an autopay plugin (README, "Writing an autopay plugin"; tested in
 * test/autopay/autopay-fidelity-plugins.test.ts). It collects the invoice's balance through an outside
 * payment service itself and reports the payment `posted`: policypay then records a posted Payment
 * with its receipt and never executes it. The service's reference is kept as extension data.
 *
 * The service is reached at EXTERNAL_COLLECTOR_URL; `POST /collect` answers 200 `{ reference }`
 * when it collected, 402 when it declined. Plug it in with
 * `AUTOPAY_PLUGINS=./src/autopay/plugins/examples/external-collector.ts` and choose it for an agency with
 * `PUT /api/v1/autopay/plugin {"plugin": "external-collector"}`.
 */

/** The name agencies choose it by. */
export const name = 'external-collector';

const externalCollector: AutopayPlugin = async (invoice, context) => {
  const url = process.env.EXTERNAL_COLLECTOR_URL;
  if (!url) throw new Error('EXTERNAL_COLLECTOR_URL is not set');
  // A pass that died after this call fires the invoice again with the same firing id: the
  // service must collect once per key, so the customer is never charged twice.
  const key = context.firing?.id ?? `${invoice.invoiceNumber}@${invoice.autopayTime.toISOString()}`;
  const response = await fetch(new URL('/collect', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({
      customerNumber: invoice.customerNumber,
      invoiceNumber: invoice.invoiceNumber,
      amountCents: Number(invoice.balanceCents),
      currency: invoice.currency,
    }),
    // The pass gives a plugin 60 s; answer (or fail) well within it.
    signal: AbortSignal.timeout(30_000),
  });
  // Declined: take no payment this time (the firing is recorded as `no_payment`).
  if (response.status === 402) return null;
  // Anything else unexpected fails the firing; it is retried on the agency's retry plan.
  if (!response.ok) throw new Error(`the collector answered ${response.status}`);
  const { reference } = (await response.json()) as { reference: string };
  return {
    payment: {
      state: 'posted',
      amountCents: invoice.balanceCents,
      targets: [{ invoiceNumber: invoice.invoiceNumber, amountCents: invoice.balanceCents }],
      extension: { collector: name, reference, firingId: key },
    },
  };
};

export default externalCollector;
