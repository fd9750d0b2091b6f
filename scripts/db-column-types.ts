// What the database cannot tell kysely-codegen about a column: the values a text column's CHECK
// allows (as the domain names them), and what a jsonb column holds. Nullability and defaults come
// from the database (scripts/db-types.ts adds them); every other column is typed from its SQL type.
import {
  ArrayExpressionNode,
  type ExpressionNode,
  GenericExpressionNode,
  IdentifierNode,
  LiteralNode,
  UnionExpressionNode,
} from 'kysely-codegen';

/** Where the generated file (src/db/) imports the types named below from. */
export const customImports: Record<string, string> = {
  AmsReceiptExportStatus: './column-types.ts',
  AttemptStatus: '../../payments/rules/payment-states.ts',
  AutopaySkipReason: '../../autopay/rules/autopay.ts',
  Frequency: '../../agency/rules/installments.ts',
  CancellationReason: '../../customers/rules/policy-lifecycle.ts',
  CardFunding: '../../payments/rules/card-fees.ts',
  EmailStatus: './column-types.ts',
  FeeRuleFunding: '../../payments/rules/card-fees.ts',
  ImportKind: '../../imports/rules/import-kinds.ts',
  ImportStatus: '../../imports/rules/import-kinds.ts',
  JsonColumn: './column-types.ts',
  LedgerAccount: '../../ledger/rules/ledger.ts',
  PayerActor: '../../eligibility/rules/eligibility.ts',
  PaymentChannel: '../../eligibility/rules/channels.ts',
  PaymentCheckType: '../../ledger/rules/receipt-input.ts',
  PaymentState: '../../payments/rules/payment-states.ts',
  PolicyStatus: '../../customers/rules/policy-lifecycle.ts',
  RowProblem: '../../imports/rules/import-kinds.ts',
  Role: './column-types.ts',
  StoredPaymentRequestState: '../../portal/rules/payment-requests.ts',
  StoredSyncEntity: './column-types.ts',
  SyncSystem: '../../sync/rules/records.ts',
};

const type = (name: string) => new IdentifierNode(name);
const oneOf = (...values: string[]) => new UnionExpressionNode(values.map((value) => new LiteralNode(value)));
const json = (of: ExpressionNode) => new GenericExpressionNode('JsonColumn', [of]);
const record = (of: string) => new GenericExpressionNode('Record', [type('string'), type(of)]);
const instrument = () => oneOf('card', 'ach');

/** `table.column` → its type, without `| null` or `Generated`. */
export const columnTypes: Record<string, ExpressionNode> = {
  'activities.data': json(record('unknown')),
  'agencies.settings': json(record('unknown')),
  'ams_receipt_exports.status': type('AmsReceiptExportStatus'),
  'api_keys.role': oneOf('staff', 'agent'),
  'audit_log.data': json(record('unknown')),
  'autopay_firings.payment_state': oneOf('draft', 'validated', 'requested'),
  'autopay_firings.status': oneOf('claimed', 'payment_created', 'receipt_posted', 'no_payment', 'failed', 'retry_due'),
  'autopay_runs.skipped': json(record('number')),
  'autopay_runs.status': oneOf('running', 'finished', 'failed', 'abandoned'),
  'autopay_runs.trigger': oneOf('schedule', 'cli', 'manual'),
  'customers.type': oneOf('individual', 'group'),
  'emails.status': type('EmailStatus'),
  'imports.counts': json(record('number')),
  'imports.kind': type('ImportKind'),
  'imports.problems': json(new ArrayExpressionNode(type('RowProblem'))),
  'imports.status': type('ImportStatus'),
  'fee_rules.funding': type('FeeRuleFunding'),
  'idempotency_keys.state': oneOf('in_progress', 'committed', 'completed'),
  'journal_lines.account': type('LedgerAccount'),
  'payment_attempts.status': type('AttemptStatus'),
  'payment_methods.funding': type('CardFunding'),
  'payment_methods.kind': instrument(),
  'payment_transitions.from_state': type('PaymentState'),
  'payment_transitions.to_state': type('PaymentState'),
  'installment_plans.frequency': type('Frequency'),
  'autopay_skips.reason': type('AutopaySkipReason'),
  'payment_refunds.status': oneOf('started', 'succeeded', 'failed', 'unknown'),
  'payment_requests.state': type('StoredPaymentRequestState'),
  'payments.channel': type('PaymentChannel'),
  'payments.extension': json(record('unknown')),
  'payments.payer': type('PayerActor'),
  'payments.state': type('PaymentState'),
  'payments.type': instrument(),
  'policies.cancellation_reason': type('CancellationReason'),
  'policies.status': type('PolicyStatus'),
  'portal_tokens.purpose': oneOf('enroll', 'sign_in'),
  'receipt_reversals.reason': oneOf('nsf', 'chargeback', 'entered_in_error'),
  'receipts.payment_check_type': type('PaymentCheckType'),
  'sync_connectors.kind': oneOf('rest'),
  'sync_connectors.system': type('SyncSystem'),
  'sync_links.entity': type('StoredSyncEntity'),
  'sync_links.status': oneOf('synced', 'pending', 'error'),
  'sync_links.system': type('SyncSystem'),
  'sync_log.direction': oneOf('inbound', 'outbound'),
  'sync_outbox.entity': type('StoredSyncEntity'),
  /** The fields an update carries (account field names, `contact`); null = the whole record. */
  'sync_outbox.fields': json(new ArrayExpressionNode(type('string'))),
  'sync_outbox.operation': oneOf('create', 'update'),
  'sync_outbox.system': type('SyncSystem'),
  'sync_reviews.entity': type('StoredSyncEntity'),
  'sync_reviews.status': oneOf('open', 'accepted', 'merged', 'rejected'),
  'sync_reviews.system': type('SyncSystem'),
  'users.role': type('Role'),
};
