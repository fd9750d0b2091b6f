import type { ColumnType, Generated, Selectable } from 'kysely';

// Row types as the drivers return them: int8 → bigint, date → 'YYYY-MM-DD', timestamptz → Date.
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json = ColumnType<unknown, string, string>;

export type Role = 'staff' | 'agent' | 'client';
type PolicyStatus =
  | 'unsubmitted'
  | 'submitted'
  | 'rejected'
  | 'active'
  | 'cancellation_pending'
  | 'canceled'
  | 'expired';
type CancellationReason = 'non_pay' | 'underwriting' | 'insured_request' | 'other';
type LedgerAccount =
  | 'accounts_receivable'
  | 'on_account'
  | 'premium'
  | 'cash'
  | 'fees'
  | 'processor_clearing'
  | 'payments_held';

interface AgenciesTable {
  id: Generated<string>;
  slug: string;
  name: string;
  time_zone: Generated<string>;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
}

interface UsersTable {
  id: Generated<string>;
  agency_id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string | null;
  created_at: CreatedAt;
}

interface SessionsTable {
  token_hash: string;
  agency_id: string;
  user_id: string;
  created_at: CreatedAt;
  expires_at: Date;
}

interface ApiKeysTable {
  id: Generated<string>;
  agency_id: string;
  name: string;
  role: 'staff' | 'agent';
  key_hash: string;
  key_prefix: string;
  banks: string[] | null;
  /** Divisions of `banks` when the key was made: access needs the bank and its division. */
  divisions: string[] | null;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

interface AgencyCountersTable {
  agency_id: string;
  name: string;
  last_value: bigint;
}

interface CustomersTable {
  id: Generated<string>;
  agency_id: string;
  customer_number: number;
  type: 'individual' | 'group';
  name: string;
  email: string | null;
  phone: string | null;
  address: Json | null;
  producer_user_id: string | null;
  csr_user_id: string | null;
  created_at: CreatedAt;
}

interface ContactsTable {
  id: Generated<string>;
  agency_id: string;
  customer_id: string;
  name: string;
  email: string | null;
  phone: string | null;
  is_primary: Generated<boolean>;
  created_at: CreatedAt;
}

interface InstallmentPlansTable {
  id: Generated<string>;
  agency_id: string;
  name: string;
  installments: number;
  frequency: string;
  autopay_lead_days: number | null;
  created_at: CreatedAt;
}

interface PoliciesTable {
  id: Generated<string>;
  agency_id: string;
  customer_id: string;
  policy_number: string;
  line_of_business: string;
  effective_date: string;
  expiration_date: string;
  premium_cents: bigint;
  currency: Generated<string>;
  installment_plan_id: string | null;
  status: PolicyStatus;
  cancellation_reason: CancellationReason | null;
  cancellation_effective_date: string | null;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

interface InvoicesTable {
  id: Generated<string>;
  agency_id: string;
  customer_id: string;
  policy_id: string | null;
  invoice_number: number;
  entity_sequence: number | null;
  due_date: string;
  amount_cents: bigint;
  currency: Generated<string>;
  description: string | null;
  suppress_autopay: Generated<boolean>;
  autopay_time: Date | null;
  /** The autopay time the autopay passes are done with (fired, or finally skipped). */
  autopay_decided_time: Generated<Date | null>;
  created_at: CreatedAt;
}

interface InstallmentsTable {
  id: Generated<string>;
  agency_id: string;
  policy_id: string;
  invoice_id: string | null;
  sequence: number;
  due_date: string;
  amount_cents: bigint;
  autopay_time: Date | null;
  created_at: CreatedAt;
}

interface BankDivisionsTable {
  id: Generated<string>;
  agency_id: string;
  name: string;
}

interface BanksTable {
  id: Generated<string>;
  agency_id: string;
  short_name: string;
  name: string;
  division_id: string;
  created_at: CreatedAt;
}

interface JournalEntriesTable {
  id: Generated<string>;
  agency_id: string;
  kind: string;
  description: string;
  occurred_on: string;
  source_type: string | null;
  source_id: string | null;
  reverses_entry_id: string | null;
  created_at: CreatedAt;
}

interface JournalLinesTable {
  id: Generated<bigint>;
  agency_id: string;
  entry_id: string;
  account: LedgerAccount;
  customer_id: string | null;
  invoice_id: string | null;
  bank_id: string | null;
  amount_cents: bigint;
  currency: Generated<string>;
}

export interface ActivitiesTable {
  id: Generated<string>;
  agency_id: string;
  customer_id: string;
  kind: string;
  summary: string;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  actor: string;
  created_at: CreatedAt;
}

interface IdempotencyKeysTable {
  agency_id: string;
  key: string;
  request_hash: string;
  method: string;
  path: string;
  state: 'in_progress' | 'committed' | 'completed';
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null>;
  locked_at: Date | null;
  owner: string | null;
  response_ref: string | null;
  created_at: CreatedAt;
}

export interface AuditLogTable {
  id: Generated<bigint>;
  agency_id: string;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
}

type PaymentCheckType = 'Check' | 'Cash' | 'CreditCard' | 'DebitCard' | 'EFT';

interface ReceiptsTable {
  id: Generated<string>;
  agency_id: string;
  receipt_number: number;
  customer_id: string;
  bank_id: string;
  amount_cents: bigint;
  on_account_cents: bigint;
  currency: Generated<string>;
  receipt_date: string;
  receipt_time_zone: string;
  payment_check_type: PaymentCheckType;
  description: string;
  payer_bank_account_last4: string | null;
  payer_check_number: string | null;
  source: Generated<string>;
  journal_entry_id: string;
  created_by: string;
  created_at: CreatedAt;
}

interface ReceiptApplicationsTable {
  id: Generated<string>;
  agency_id: string;
  receipt_id: string;
  sequence: number;
  invoice_id: string | null;
  applied_cents: bigint;
  on_account_cents: bigint;
  description: string;
  note: string | null;
}

interface ReceiptReversalsTable {
  id: Generated<string>;
  agency_id: string;
  receipt_id: string;
  reason: 'nsf' | 'chargeback' | 'entered_in_error';
  note: string | null;
  journal_entry_id: string;
  fee_invoice_id: string | null;
  created_by: string;
  created_at: CreatedAt;
}

interface RetryPlansTable {
  id: Generated<string>;
  agency_id: string;
  name: string;
  delay_days: number[];
  retry_codes: string[] | null;
  is_default: Generated<boolean>;
  created_at: CreatedAt;
}

interface PaymentMethodsTable {
  id: Generated<string>;
  agency_id: string;
  customer_id: string;
  processor: string;
  token: string;
  kind: 'card' | 'ach';
  brand: string | null;
  last4: string;
  exp_month: number | null;
  exp_year: number | null;
  bank_name: string | null;
  holder_name: string | null;
  is_default: Generated<boolean>;
  disabled_at: Date | null;
  disabled_reason: string | null;
  deleted_at: Date | null;
  created_at: CreatedAt;
}

interface PaymentsTable {
  id: Generated<string>;
  agency_id: string;
  customer_id: string;
  payment_method_id: string;
  type: 'card' | 'ach';
  amount_cents: bigint;
  currency: Generated<string>;
  channel: 'agent_sweep' | 'secure_checkout' | 'autopay';
  payer: 'external' | 'agent' | 'staff';
  state: string;
  retry_plan_id: string;
  bank_id: string;
  attempts: Generated<number>;
  next_attempt_at: Date | null;
  receipt_id: string | null;
  represents_payment_id: string | null;
  failure_code: string | null;
  failure_message: string | null;
  extension: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_by: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  payment_request_id: ColumnType<string | null, string | null | undefined, string | null>;
  paid_by_contact_id: ColumnType<string | null, string | null | undefined, string | null>;
}

interface PaymentTargetsTable {
  id: Generated<string>;
  agency_id: string;
  payment_id: string;
  sequence: number;
  invoice_id: string;
  amount_cents: bigint;
}

interface PaymentTransitionsTable {
  id: Generated<bigint>;
  agency_id: string;
  payment_id: string;
  from_state: string | null;
  to_state: string;
  actor: string;
  reason: string | null;
  created_at: CreatedAt;
}

interface PaymentAttemptsTable {
  id: Generated<string>;
  agency_id: string;
  payment_id: string;
  number: number;
  processor: string;
  idempotency_key: string;
  status: 'started' | 'succeeded' | 'pending' | 'declined' | 'unknown' | 'not_sent';
  processor_reference: string | null;
  decline_code: string | null;
  hard_decline: boolean | null;
  message: string | null;
  checks: Generated<number>;
  next_check_at: Date | null;
  started_at: CreatedAt;
  finished_at: Date | null;
}

interface ProcessorEventsTable {
  processor: string;
  event_id: string;
  type: string;
  processor_reference: string;
  payload: ColumnType<unknown, string, string>;
  outcome: string | null;
  received_at: CreatedAt;
}

interface PaymentRefundsTable {
  id: Generated<string>;
  agency_id: string;
  payment_id: string;
  amount_cents: bigint;
  idempotency_key: string;
  status: 'started' | 'succeeded' | 'failed' | 'unknown';
  processor_reference: string | null;
  journal_entry_id: string | null;
  reason: string | null;
  created_by: string;
  created_at: CreatedAt;
}

interface AutopayEnrollmentsTable {
  id: Generated<string>;
  agency_id: string;
  customer_id: string;
  payment_method_id: string;
  enrolled_by: string;
  enrolled_at: CreatedAt;
  ended_by: string | null;
  ended_at: Date | null;
  end_reason: string | null;
}

interface AutopayRunsTable {
  id: Generated<string>;
  agency_id: string;
  trigger: 'schedule' | 'cli' | 'manual';
  as_of: Date;
  status: 'running' | 'finished' | 'failed' | 'abandoned';
  started_at: CreatedAt;
  finished_at: Date | null;
  examined: Generated<number>;
  fired: Generated<number>;
  already_fired: Generated<number>;
  payments_created: Generated<number>;
  receipts_posted: Generated<number>;
  no_payment: Generated<number>;
  failed: Generated<number>;
  skipped: ColumnType<Record<string, number>, string | undefined, string>;
  error: string | null;
}

export interface AutopayFiringsTable {
  id: Generated<string>;
  agency_id: string;
  invoice_id: string;
  autopay_time: Date;
  run_id: string;
  status: 'claimed' | 'payment_created' | 'receipt_posted' | 'no_payment' | 'failed' | 'retry_due';
  payment_id: string | null;
  receipt_id: string | null;
  payment_state: 'draft' | 'validated' | 'requested' | null;
  next_request_time: Date | null;
  decision: ColumnType<unknown, string | null, string | null>;
  error: string | null;
  fired_at: CreatedAt;
  decided_at: Date | null;
  /** Claims of this firing (a retry or a staff re-fire claims it again). */
  attempts: Generated<number>;
  /** Failed outcomes so far: the retry plan's delays are counted in these. */
  failures: Generated<number>;
  /** A failed firing is fired again from then (its retry plan); null = not again. */
  next_retry_at: Date | null;
}

interface AutopaySkipsTable {
  agency_id: string;
  invoice_id: string;
  autopay_time: Date;
  reason: string;
  eligibility_reason: string | null;
  message: string;
  final: boolean;
  run_id: string;
  skipped_at: CreatedAt;
}

type PaymentRequestState = 'requested' | 'paid' | 'finalized' | 'cancelled';

interface PaymentRequestsTable {
  id: Generated<string>;
  agency_id: string;
  customer_id: string;
  contact_id: string;
  amount_cents: bigint;
  due_date: string;
  expires_on: string;
  note: string | null;
  state: PaymentRequestState;
  requested_by: string;
  requested_by_user_id: string | null;
  requested_at: CreatedAt;
  payment_id: string | null;
  paid_at: Date | null;
  held_entry_id: string | null;
  receipt_id: string | null;
  finalized_by: string | null;
  finalized_at: Date | null;
  cancelled_by: string | null;
  cancelled_at: Date | null;
  cancel_reason: string | null;
}

interface PaymentRequestInvoicesTable {
  agency_id: string;
  payment_request_id: string;
  sequence: number;
  invoice_id: string;
  amount_cents: bigint;
}

export type EmailStatus = 'pending' | 'sent' | 'failed' | 'kept';

interface EmailsTable {
  id: Generated<string>;
  agency_id: string;
  kind: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  status: Generated<EmailStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  related_type: string | null;
  related_id: string | null;
  created_at: CreatedAt;
  sent_at: Date | null;
}

/** One per e-mail address and agency; its customers are those with a contact of that address. */
interface PortalIdentitiesTable {
  id: Generated<string>;
  agency_id: string;
  /** Lower case. */
  email: string;
  password_hash: string | null;
  enrolled_at: CreatedAt;
}

interface PortalTokensTable {
  token_hash: string;
  agency_id: string;
  customer_id: string;
  contact_id: string;
  purpose: 'enroll' | 'sign_in';
  payment_request_id: string | null;
  /** The address the link was mailed to (lower case); null for links issued before migration 0014. */
  email: string | null;
  expires_at: Date;
  used_at: Date | null;
  created_at: CreatedAt;
}

interface PortalSessionsTable {
  token_hash: string;
  agency_id: string;
  identity_id: string;
  /** The customer the session is looking at (the account switcher's choice). */
  customer_id: string;
  expires_at: Date;
  created_at: CreatedAt;
}

interface AmsReceiptConnectorsTable {
  agency_id: string;
  enabled: Generated<boolean>;
  base_url: string;
  auth_header_name: string | null;
  auth_header_value: string | null;
  sources: ColumnType<string[], string[] | undefined, string[]>;
  timeout_ms: Generated<number>;
  lookup_by_reference: Generated<boolean>;
  updated_by: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type AmsReceiptExportStatus = 'held' | 'pending' | 'sending' | 'sent' | 'failed';

interface AmsReceiptExportsTable {
  id: Generated<string>;
  agency_id: string;
  receipt_id: string;
  reference: string;
  idempotency_key: string;
  /** Null while `held`: built with the AMS's numbers when released. */
  body: Json | null;
  status: ColumnType<AmsReceiptExportStatus, AmsReceiptExportStatus | undefined, AmsReceiptExportStatus>;
  attempts: Generated<number>;
  claim_id: string | null;
  next_attempt_at: Date | null;
  last_http_status: number | null;
  last_error: string | null;
  ams_receipt_id: string | null;
  created_at: CreatedAt;
  sent_at: Date | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

type SyncSystem = 'ams' | 'benefits' | 'crm';
type SyncEntity = 'customer' | 'contact' | 'policy' | 'invoice';

interface SyncConnectorsTable {
  agency_id: string;
  system: SyncSystem;
  kind: 'rest';
  config: ColumnType<unknown, string, string>;
  webhook_secret: string | null;
  enabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

interface SyncSettingsTable {
  agency_id: string;
  rules: ColumnType<unknown, string | null, string | null>;
  updated_at: Generated<Date>;
}

interface SyncLinksTable {
  id: Generated<string>;
  agency_id: string;
  entity: SyncEntity;
  local_id: string;
  system: SyncSystem;
  external_id: string;
  ams_customer_number: string | null;
  external_version: ColumnType<string | null, string | bigint | null, string | bigint | null>;
  content_hash: string | null;
  status: Generated<'synced' | 'pending' | 'error'>;
  last_error: string | null;
  synced_at: Generated<Date>;
}

interface SyncCursorsTable {
  agency_id: string;
  system: string;
  entity: string;
  cursor: string | null;
  updated_at: Generated<Date>;
}

interface SyncEventsTable {
  agency_id: string;
  system: string;
  event_id: string;
  outcome: string;
  received_at: CreatedAt;
}

interface SyncReviewsTable {
  id: Generated<string>;
  agency_id: string;
  system: SyncSystem;
  entity: SyncEntity;
  external_id: string;
  record: ColumnType<unknown, string, string>;
  candidate_ids: string[];
  reason: string;
  status: Generated<'open' | 'accepted' | 'merged' | 'rejected'>;
  resolved_customer_id: string | null;
  resolved_by: string | null;
  created_at: CreatedAt;
  resolved_at: Date | null;
}

export interface SyncOutboxTable {
  id: Generated<string>;
  agency_id: string;
  system: SyncSystem;
  entity: SyncEntity;
  local_id: string;
  operation: 'create' | 'update';
  /** The fields an update carries (account field names, `contact`); null = the whole record. */
  fields: ColumnType<string[] | null, string | null | undefined, string | null>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: CreatedAt;
  requests: Generated<number>;
  done_at: Date | null;
}

export interface SyncLogTable {
  id: Generated<string>;
  agency_id: string;
  system: string;
  direction: 'inbound' | 'outbound';
  entity: string;
  local_id: string | null;
  external_id: string | null;
  action: string;
  message: string | null;
  at: CreatedAt;
}

export interface Database {
  agencies: AgenciesTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  agency_counters: AgencyCountersTable;
  customers: CustomersTable;
  contacts: ContactsTable;
  installment_plans: InstallmentPlansTable;
  policies: PoliciesTable;
  invoices: InvoicesTable;
  installments: InstallmentsTable;
  bank_divisions: BankDivisionsTable;
  banks: BanksTable;
  journal_entries: JournalEntriesTable;
  journal_lines: JournalLinesTable;
  activities: ActivitiesTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_log: AuditLogTable;
  receipts: ReceiptsTable;
  receipt_applications: ReceiptApplicationsTable;
  receipt_reversals: ReceiptReversalsTable;
  retry_plans: RetryPlansTable;
  payment_methods: PaymentMethodsTable;
  payments: PaymentsTable;
  payment_targets: PaymentTargetsTable;
  payment_transitions: PaymentTransitionsTable;
  payment_attempts: PaymentAttemptsTable;
  processor_events: ProcessorEventsTable;
  payment_refunds: PaymentRefundsTable;
  autopay_enrollments: AutopayEnrollmentsTable;
  autopay_runs: AutopayRunsTable;
  autopay_firings: AutopayFiringsTable;
  autopay_skips: AutopaySkipsTable;
  payment_requests: PaymentRequestsTable;
  payment_request_invoices: PaymentRequestInvoicesTable;
  emails: EmailsTable;
  portal_identities: PortalIdentitiesTable;
  portal_tokens: PortalTokensTable;
  portal_sessions: PortalSessionsTable;
  sync_connectors: SyncConnectorsTable;
  sync_settings: SyncSettingsTable;
  sync_links: SyncLinksTable;
  sync_cursors: SyncCursorsTable;
  sync_events: SyncEventsTable;
  sync_reviews: SyncReviewsTable;
  sync_outbox: SyncOutboxTable;
  sync_log: SyncLogTable;
  ams_receipt_connectors: AmsReceiptConnectorsTable;
  ams_receipt_exports: AmsReceiptExportsTable;
}

export type Customer = Selectable<CustomersTable>;
export type Policy = Selectable<PoliciesTable>;
export type Invoice = Selectable<InvoicesTable>;
