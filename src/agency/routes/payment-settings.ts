import { z } from 'zod';
import { MIN_DAYS_TO_ALLOW_CANCELED, type PaymentSettings } from '../../eligibility/rules/payment-settings.ts';
import { toAmount } from '../../kernel/money.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { amount, errorResponses, money } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { getPaymentSettings, updatePaymentSettings } from '../payment-settings.ts';

const daysToAllowCanceledPolicyPayment = z
  .number({ error: 'must be an integer of at least -1' })
  .int({ error: 'must be an integer of at least -1' })
  .min(MIN_DAYS_TO_ALLOW_CANCELED, { error: 'must be an integer of at least -1' })
  .meta({ description: '0 = never, N = up to N days after the cancellation effective date, -1 = indefinitely' });

const flag = (description: string) => z.boolean({ error: 'must be true or false' }).meta({ description });

const fields = {
  allowPaySubmittedPolicies: flag('Agents may pay submitted policies by agent sweep'),
  daysToAllowCanceledPolicyPayment,
  disallowCancellationPendingNonPay: flag(
    'No agent sweep or outside payments on policies pending cancellation for non-pay (staff still may)',
  ),
  disallowCancellationPendingNonPayPoorHistory: flag(
    'The same, only for non-pay policies tagged poor_payment_history; stops autopay too. Exclusive with the previous one',
  ),
  disallowCancellationPendingUnderwriting: flag(
    'No agent sweep or outside payments on policies pending cancellation for any reason but non-pay',
  ),
  enforceMinMaxSecureCheckout: flag('Outside payers on secure checkout pay between currently due and payoff'),
  enforceMinMaxAgentSweep: flag('Agents on agent sweep pay between currently due and payoff'),
  poorPaymentHistoryAfterReturns: z
    .number({ error: 'must be an integer from 0 to 100' })
    .int({ error: 'must be an integer from 0 to 100' })
    .min(0, { error: 'must be an integer from 0 to 100' })
    .max(100, { error: 'must be an integer from 0 to 100' })
    .meta({ description: 'ACH returns in 12 months after which policies are tagged poor_payment_history; 0 = never' }),
  autopayHour: z
    .number({ error: 'must be an integer from 0 to 23' })
    .int({ error: 'must be an integer from 0 to 23' })
    .min(0, { error: 'must be an integer from 0 to 23' })
    .max(23, { error: 'must be an integer from 0 to 23' })
    .meta({ description: "Local hour (agency time zone) at which autopay fires on an installment's autopay day" }),
  backupEmail: z
    .email({ error: 'must be an e-mail address, or null for none' })
    .max(320)
    .nullable()
    .meta({ description: "The agency's backup address: told about online payments and reversals; null = none" }),
  finalizeRestrictedToStaff: flag('Only staff may finalize payment requests (agents may not)'),
  paymentRequestExpiryDays: z
    .number({ error: 'must be an integer from 0 to 365' })
    .int({ error: 'must be an integer from 0 to 365' })
    .min(0, { error: 'must be an integer from 0 to 365' })
    .max(365, { error: 'must be an integer from 0 to 365' })
    .meta({ description: 'Days after its due date a payment request can still be paid (then it is expired)' }),
};
const bankName = (channel: string) =>
  z
    .string({ error: 'must be a bank short name or id, or null' })
    .min(1, { error: 'must be a bank short name or id, or null' })
    .max(64, { error: 'must be a bank short name or id, or null' })
    .nullable()
    .meta({ description: `The bank ${channel} money is deposited to when a payment names none (null = none)` });
const depositBanksDescription =
  "Per channel, the bank a payment that names none is deposited to; with one bank, that bank; with several and no default such a payment is refused (autopay's firing fails)";
const nsfFeeDescription = 'Fee invoiced when a receipt is reversed as NSF; null = no fee';

const paymentSettingsSchema = z
  .object({
    ...fields,
    nsfFee: amount.nullable().meta({ description: nsfFeeDescription }),
    defaultDepositBanks: z
      .object({
        autopay: bankName('autopay'),
        secure_checkout: bankName('secure checkout (portal)'),
        agent_sweep: bankName('agent sweep'),
      })
      .meta({ description: depositBanksDescription }),
  })
  .meta({ id: 'PaymentSettings' });

const staffOnly = { access: ['staff'] as const };

function presentPaymentSettings(settings: PaymentSettings): z.infer<typeof paymentSettingsSchema> {
  const { nsfFeeCents, ...rest } = settings;
  return { ...rest, nsfFee: nsfFeeCents === null ? null : toAmount(nsfFeeCents) };
}

export function paymentSettingsRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/settings/payments',
    {
      config: staffOnly,
      schema: {
        tags: ['settings'],
        summary: "The agency's payment eligibility settings (defaults included)",
        response: { 200: paymentSettingsSchema, ...errorResponses },
      },
    },
    async (request) => presentPaymentSettings(await getPaymentSettings(deps.db, requireActor(request))),
  );

  app.patch(
    '/api/v1/settings/payments',
    {
      config: staffOnly,
      schema: {
        tags: ['settings'],
        summary:
          'Change payment settings (eligibility, fees, default deposit banks); omitted settings stay as they are',
        body: z.strictObject({
          allowPaySubmittedPolicies: fields.allowPaySubmittedPolicies.optional(),
          daysToAllowCanceledPolicyPayment: fields.daysToAllowCanceledPolicyPayment.optional(),
          disallowCancellationPendingNonPay: fields.disallowCancellationPendingNonPay.optional(),
          disallowCancellationPendingNonPayPoorHistory: fields.disallowCancellationPendingNonPayPoorHistory.optional(),
          disallowCancellationPendingUnderwriting: fields.disallowCancellationPendingUnderwriting.optional(),
          enforceMinMaxSecureCheckout: fields.enforceMinMaxSecureCheckout.optional(),
          enforceMinMaxAgentSweep: fields.enforceMinMaxAgentSweep.optional(),
          poorPaymentHistoryAfterReturns: fields.poorPaymentHistoryAfterReturns.optional(),
          autopayHour: fields.autopayHour.optional(),
          backupEmail: fields.backupEmail.optional(),
          finalizeRestrictedToStaff: fields.finalizeRestrictedToStaff.optional(),
          paymentRequestExpiryDays: fields.paymentRequestExpiryDays.optional(),
          nsfFee: money().nullable().optional().meta({ description: nsfFeeDescription }),
          defaultDepositBanks: z
            .strictObject({
              autopay: bankName('autopay').optional(),
              secure_checkout: bankName('secure checkout (portal)').optional(),
              agent_sweep: bankName('agent sweep').optional(),
            })
            .optional()
            .meta({
              description: `${depositBanksDescription}. A bank short name or id per channel; omitted channels stay, null clears one; an unknown bank is refused (422 naming the channel)`,
            }),
        }),
        response: { 200: paymentSettingsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { nsfFee, ...flags } = request.body;
      const patch = nsfFee === undefined ? flags : { ...flags, nsfFeeCents: nsfFee };
      return presentPaymentSettings(await updatePaymentSettings(deps.db, requireActor(request), patch));
    },
  );
}
