/** How a payment reaches policypay: the columns of the eligibility matrix (issue 4). */
export const paymentChannels = ['agent_sweep', 'secure_checkout', 'autopay'] as const;
export type PaymentChannel = (typeof paymentChannels)[number];
