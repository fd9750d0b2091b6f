/**
 * Examples of AMS360's POST /receipt/customer for the OpenAPI document. test/platform/http/openapi.test.ts
 * posts each request to a real server and checks the answer against `response`, so they stay true.
 */
export const receiptExamples = {
  requests: {
    checkForTwoInvoices: {
      summary: 'A check paying two invoices (one of a multi-entity policy, "20312-1")',
      value: {
        customerNumber: 1042,
        invoiceInformations: [
          { invoiceNumber: 20311, paymentAmount: 250.0, invoicePaymentDescription: 'Auto renewal, first installment' },
          { invoiceNumber: '20312-1', paymentAmount: 125.5 },
        ],
        receiptAmount: 375.5,
        receiptDate: '2026-11-21',
        receiptDateTimeZone: 'Central Standard Time',
        bankShortName: 'OPER',
        receiptDescription: 'Check 1187 from Jane Smith',
        paymentCheckType: 'H',
        payerBankAccountNumber: '000123456789',
        payerCheckNumber: '1187',
      },
    },
    cardOnAccount: {
      summary: 'A card payment with no invoice number: it goes On Account',
      value: {
        customerNumber: 1042,
        invoiceInformations: [{ paymentAmount: 80 }],
        receiptAmount: 80,
        receiptDate: '2026-11-22T10:15:00-06:00',
        receiptDateTimeZone: 'Central Standard Time',
        bankShortName: 'OPER',
        paymentCheckType: 'CreditCard',
      },
    },
  },
  /** The answer to `checkForTwoInvoices` (receiptId and receiptNumber vary). */
  response: {
    receiptId: '0193f2a4-6c1e-7d3a-9b2f-5e8c1a7d4b60',
    receiptNumber: 1,
    customerNumber: 1042,
    receiptAmount: 375.5,
    receiptDate: '2026-11-21',
    receiptDateTimeZone: 'America/Chicago',
    bankShortName: 'OPER',
    paymentCheckType: 'Check',
    receiptDescription: 'Check 1187 from Jane Smith',
    payerBankAccountLast4: '6789',
    payerCheckNumber: '1187',
    applications: [
      {
        invoiceNumber: 20311,
        appliedAmount: 250,
        onAccountAmount: 0,
        invoicePaymentDescription: 'Auto renewal, first installment',
      },
      { invoiceNumber: 20312, appliedAmount: 125.5, onAccountAmount: 0, invoicePaymentDescription: '…' },
    ],
    onAccountAmount: 0,
    convenienceFeeAmount: 0,
    status: 'posted',
    reversal: null,
  },
};
