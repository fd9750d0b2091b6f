import { type Cents, formatAmount } from '../../kernel/money.ts';

/** A rendered e-mail: the same content as plain text and as HTML. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Everything put into HTML goes through here: names, notes and addresses are someone's input. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A card or bank account as people may see it in an e-mail: never more than the last 4 digits. */
export function describeMethod(method: { type: 'card' | 'ach'; brand?: string | null; last4: string | null }): string {
  const last4 = method.last4 ? method.last4.replace(/\D/g, '').slice(-4) : '';
  const name = method.type === 'card' ? (method.brand ? capitalize(method.brand) : 'Card') : 'Bank account';
  return last4 ? `${name} ending in ${last4}` : name;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// Subjects go into a mail header: no line breaks.
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}

/** Who the e-mail is from: the agency's display name, and its colour and logo (Portal branding). */
interface Sender {
  agencyName: string;
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
}

const sender = (input: Sender): Sender => ({
  agencyName: input.agencyName,
  brandColor: input.brandColor,
  logoUrl: input.logoUrl,
});

/** The default blue; a colour is only ever a validated #rrggbb, but it goes into a style attribute. */
const colorOf = (layout: Sender) =>
  /^#[0-9a-fA-F]{6}$/.test(layout.brandColor ?? '') ? layout.brandColor! : '#0b5cad';

interface Layout extends Sender {
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
  heading: string;
  paragraphs: string[];
  facts?: [string, string][];
  button?: { label: string; url: string } | undefined;
  footer?: string;
}

function render(subject: string, layout: Layout): RenderedEmail {
  const facts = layout.facts ?? [];
  const text = [
    layout.heading,
    '',
    ...layout.paragraphs.flatMap((p) => [p, '']),
    ...facts.map(([label, value]) => `${label}: ${value}`),
    ...(facts.length ? [''] : []),
    ...(layout.button ? [`${layout.button.label}: ${layout.button.url}`, ''] : []),
    layout.footer ?? `${layout.agencyName}`,
  ].join('\n');
  const e = escapeHtml;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;color:#1a1a1a;max-width:560px">',
    `<div style="border-bottom:4px solid ${colorOf(layout)};padding:8px 0;margin-bottom:12px">${
      layout.logoUrl
        ? `<img src="${e(layout.logoUrl)}" alt="" height="40" style="vertical-align:middle;margin-right:8px">`
        : ''
    }<strong style="font-size:18px;color:${colorOf(layout)}">${e(layout.agencyName)}</strong></div>`,
    `<h1 style="font-size:20px">${e(layout.heading)}</h1>`,
    ...layout.paragraphs.map((p) => `<p>${e(p)}</p>`),
    facts.length
      ? `<table>${facts.map(([l, v]) => `<tr><th align="left" style="padding-right:12px">${e(l)}</th><td>${e(v)}</td></tr>`).join('')}</table>`
      : '',
    layout.button
      ? `<p><a href="${e(layout.button.url)}" style="display:inline-block;padding:10px 18px;background:${colorOf(layout)};color:#fff;text-decoration:none;border-radius:4px">${e(layout.button.label)}</a></p>`
      : '',
    `<p style="color:#555;font-size:13px">${e(layout.footer ?? layout.agencyName)}</p>`,
    '</body></html>',
  ].join('');
  return { subject: oneLine(subject), text, html };
}

export function paymentRequestEmail(input: {
  agencyName: string;
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
  contactName: string;
  amountCents: Cents;
  dueDate: string;
  note: string | null;
  link: string;
  enrolled: boolean;
}): RenderedEmail {
  const amount = formatAmount(input.amountCents);
  return render(`${input.agencyName}: payment of ${amount} requested`, {
    ...sender(input),
    heading: `Hello ${input.contactName},`,
    paragraphs: [
      `${input.agencyName} requests a payment of ${amount}, due ${input.dueDate}.`,
      ...(input.note ? [`Note: ${input.note}`] : []),
      input.enrolled
        ? 'Sign in to your client portal to pay it securely online.'
        : 'You are not enrolled in our client portal yet: the button below enrolls you and takes you to the payment.',
    ],
    facts: [
      ['Amount', amount],
      ['Due date', input.dueDate],
    ],
    button: { label: 'Make a Payment', url: input.link },
    footer: `${input.agencyName} · This link is personal and works once.`,
  });
}

export function signInLinkEmail(input: {
  agencyName: string;
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
  contactName: string;
  link: string;
  enrolled: boolean;
  validMinutes: number;
}): RenderedEmail {
  return render(`${input.agencyName}: your ${input.enrolled ? 'sign-in' : 'enrollment'} link`, {
    ...sender(input),
    heading: `Hello ${input.contactName},`,
    paragraphs: [
      input.enrolled
        ? `Use the button below to sign in to the ${input.agencyName} client portal.`
        : `Use the button below to enroll in the ${input.agencyName} client portal.`,
      `The link works once and for ${input.validMinutes} minutes. If you did not ask for it, ignore this e-mail.`,
    ],
    button: { label: input.enrolled ? 'Sign in' : 'Enroll', url: input.link },
  });
}

export function paymentSentEmail(input: {
  agencyName: string;
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
  customerName: string;
  customerNumber: number;
  payerName: string;
  amountCents: Cents;
  method: string;
  paymentId: string;
  request: { note: string | null; dueDate: string } | null;
}): RenderedEmail {
  const amount = formatAmount(input.amountCents);
  return render(`Payment sent: ${input.customerName} paid ${amount} online`, {
    ...sender(input),
    heading: `${input.customerName} paid ${amount} online`,
    paragraphs: [
      input.request
        ? `${input.payerName} paid the payment request${input.request.note ? ` "${input.request.note}"` : ''} (due ${input.request.dueDate}).`
        : `${input.payerName} made a one-time payment in the client portal.`,
      input.request
        ? "Finalize the payment in policypay to post the cash receipt to the customer's account."
        : "The payment was applied to the customer's account.",
    ],
    facts: [
      ['Customer', `${input.customerName} (#${input.customerNumber})`],
      ['Amount', amount],
      ['Paid with', input.method],
      ['Payment', input.paymentId],
    ],
  });
}

export function paymentReceiptEmail(input: {
  agencyName: string;
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
  payerName: string;
  amountCents: Cents;
  method: string;
  reference: string;
  paidAt: string;
}): RenderedEmail {
  const amount = formatAmount(input.amountCents);
  return render(`Receipt for your payment of ${amount} to ${input.agencyName}`, {
    ...sender(input),
    heading: `Thank you, ${input.payerName}`,
    paragraphs: [`We received your payment of ${amount} to ${input.agencyName}.`],
    facts: [
      ['Amount', amount],
      ['Paid with', input.method],
      ['Date', input.paidAt],
      ['Reference', input.reference],
    ],
  });
}

/** The client's payment request was withdrawn: nothing to pay online for it any more. */
export function paymentRequestCancelledEmail(input: {
  agencyName: string;
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
  contactName: string;
  amountCents: Cents;
  dueDate: string;
  note: string | null;
  reason: string | null;
}): RenderedEmail {
  const amount = formatAmount(input.amountCents);
  return render(`${input.agencyName}: payment request of ${amount} cancelled`, {
    ...sender(input),
    heading: `Hello ${input.contactName},`,
    paragraphs: [
      `${input.agencyName} cancelled its request for a payment of ${amount}${input.note ? ` ("${input.note}")` : ''}, due ${input.dueDate}. You do not need to pay it online; its link no longer works.`,
      ...(input.reason ? [`Reason: ${input.reason}`] : []),
      `If you have questions, contact ${input.agencyName}.`,
    ],
    facts: [
      ['Amount', amount],
      ['Due date', input.dueDate],
    ],
  });
}

/** The agency's copy of the receipt a client received for an online payment. */
export function agencyPaymentReceiptEmail(input: {
  agencyName: string;
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
  customerName: string;
  customerNumber: number;
  payerName: string;
  amountCents: Cents;
  method: string;
  reference: string;
  paidAt: string;
}): RenderedEmail {
  const amount = formatAmount(input.amountCents);
  return render(`Payment receipt: ${input.customerName} paid ${amount} to ${input.agencyName}`, {
    ...sender(input),
    heading: `Receipt for ${input.customerName} (#${input.customerNumber})`,
    paragraphs: [`${input.payerName} paid ${amount} online. This is the agency's copy of the receipt sent to them.`],
    facts: [
      ['Customer', `${input.customerName} (#${input.customerNumber})`],
      ['Paid by', input.payerName],
      ['Amount', amount],
      ['Paid with', input.method],
      ['Date', input.paidAt],
      ['Reference', input.reference],
    ],
  });
}

export function paymentReversedEmail(input: {
  agencyName: string;
  brandColor?: string | undefined;
  logoUrl?: string | null | undefined;
  customerName: string;
  customerNumber: number;
  amountCents: Cents;
  method: string;
  kind: 'return' | 'chargeback';
  code: string;
  paymentId: string;
}): RenderedEmail {
  const amount = formatAmount(input.amountCents);
  const what = input.kind === 'chargeback' ? 'charged back' : 'returned';
  return render(`Payment ${what}: ${input.customerName}, ${amount} (${input.code})`, {
    ...sender(input),
    heading: `A payment of ${amount} by ${input.customerName} was ${what}`,
    paragraphs: [
      `The processor reported ${input.kind === 'chargeback' ? 'a chargeback' : `an ACH return ${input.code}`}. ` +
        "policypay reversed the payment's receipt: the invoices it paid are open again.",
    ],
    facts: [
      ['Customer', `${input.customerName} (#${input.customerNumber})`],
      ['Amount', amount],
      ['Paid with', input.method],
      ['Reason code', input.code],
      ['Payment', input.paymentId],
    ],
  });
}

/** The settings page's "send a test e-mail": proves the outbox reaches the SMTP server. */
export function testEmail(input: Sender & { requestedBy: string }): RenderedEmail {
  return render(`Test e-mail from ${input.agencyName}`, {
    ...sender(input),
    heading: 'policypay can send e-mail',
    paragraphs: [
      `${input.requestedBy} sent this test from the console's e-mail settings. It went through the outbox and the SMTP server like every e-mail policypay sends.`,
    ],
  });
}

/** A new console user's invitation: the link sets their first password. */
export function staffInvitationEmail(
  input: Sender & {
    name: string;
    invitedBy: string;
    role: 'staff' | 'agent';
    link: string;
    validHours: number;
  },
): RenderedEmail {
  return render(`${input.agencyName}: you are invited to policypay`, {
    ...sender(input),
    heading: `Hello ${input.name},`,
    paragraphs: [
      `${input.invitedBy} invited you to ${input.agencyName}'s policypay console as ${input.role === 'staff' ? 'a staff member' : 'an agent'}.`,
      `Use the button below to choose your password. The link works once and for ${input.validHours} hours.`,
    ],
    button: { label: 'Choose your password', url: input.link },
  });
}

/** A console user's password reset, asked for by staff: the link sets a new password. */
export function passwordResetEmail(
  input: Sender & {
    name: string;
    link: string;
    validMinutes: number;
  },
): RenderedEmail {
  return render(`${input.agencyName}: reset your policypay password`, {
    ...sender(input),
    heading: `Hello ${input.name},`,
    paragraphs: [
      `Someone at ${input.agencyName} asked for your policypay password to be reset.`,
      `Use the button below to choose a new password. The link works once and for ${input.validMinutes} minutes. Until you use it, your current password keeps working.`,
    ],
    button: { label: 'Choose a new password', url: input.link },
  });
}
