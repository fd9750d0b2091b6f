// The customer page's tables: invoices (each linked to its page), payment requests, payments, activity.
import type { Activity, InvoiceSummary, Payment, PaymentRequest } from '../../api/api.ts';
import {
  formatDate,
  formatDateTime,
  formatMoney,
  humanize,
  invoiceStatusLabel,
  requestStateLabel,
  requestStateTone,
} from '../../shared/format.ts';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';

function Empty({ columns, children }: { columns: number; children: string }) {
  return (
    <tr>
      <td colSpan={columns} className="empty-cell">
        {children}
      </td>
    </tr>
  );
}

/** A section that could not be loaded (e.g. an endpoint the server does not have) says so. */
export function Unavailable({ message }: { message: string }) {
  return <p className="card-body muted">Not available: {message}</p>;
}

type RequestsProps = {
  requests: PaymentRequest[];
  /** Absent when the agency lets only staff finalize and this user is an agent. */
  onFinalize?: ((request: PaymentRequest) => void) | undefined;
  onCancel: (request: PaymentRequest) => void;
};

export function PaymentRequestsTable({ requests, onFinalize, onCancel }: RequestsProps) {
  return (
    <TableWrap label="Payment requests">
      <table className="data-table" data-testid="payment-requests">
        <thead>
          <tr>
            <th scope="col">Requested</th>
            <th scope="col">Contact</th>
            <th scope="col">Note</th>
            <th scope="col">Due</th>
            <th scope="col" className="num">
              Amount
            </th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {requests.map((request) => (
            <tr key={request.id}>
              <td>{formatDateTime(request.requestedAt)}</td>
              <td>{request.contact.name}</td>
              <td className="wrap">{request.note ?? '—'}</td>
              <td>
                <time dateTime={request.dueDate}>{formatDate(request.dueDate)}</time>
              </td>
              <td className="num money">{formatMoney(request.amount)}</td>
              <td>
                <span className={`badge badge-${requestStateTone(request.state)}`}>
                  {requestStateLabel(request.state)}
                </span>
                {request.state === 'requested' && request.payment && (
                  <span className="muted badge-inline">Payment in flight</span>
                )}
                {request.receiptNumber !== null && (
                  <span className="muted badge-inline">Receipt {request.receiptNumber}</span>
                )}
              </td>
              <td className="actions">
                {request.state === 'paid' &&
                  (onFinalize ? (
                    <button type="button" className="button button-primary" onClick={() => onFinalize(request)}>
                      Finalize Payment
                    </button>
                  ) : (
                    <span className="muted">Staff finalize</span>
                  ))}
                {(request.state === 'requested' || request.state === 'expired') && !request.payment && (
                  <button
                    type="button"
                    className="button button-secondary"
                    aria-label={`Cancel the request for ${formatMoney(request.amount)} due ${formatDate(request.dueDate)}`}
                    onClick={() => onCancel(request)}
                  >
                    Cancel
                  </button>
                )}
              </td>
            </tr>
          ))}
          {requests.length === 0 && <Empty columns={7}>No payment requests yet.</Empty>}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function PaymentsTable({ payments }: { payments: Payment[] }) {
  return (
    <TableWrap label="Payments">
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Type</th>
            <th scope="col">Channel</th>
            <th scope="col" className="num">
              Amount
            </th>
            <th scope="col">State</th>
            <th scope="col">Receipt</th>
          </tr>
        </thead>
        <tbody>
          {payments.map((payment) => (
            <tr key={payment.id}>
              <td>{formatDateTime(payment.createdAt)}</td>
              <td>{payment.type === 'ach' ? 'Bank account' : 'Card'}</td>
              <td>{humanize(payment.channel)}</td>
              <td className="num money">{formatMoney(payment.amount)}</td>
              <td>
                {humanize(payment.state)}
                {payment.failureMessage && <span className="muted"> – {payment.failureMessage}</span>}
              </td>
              <td className="mono">{payment.receiptNumber ?? '—'}</td>
            </tr>
          ))}
          {payments.length === 0 && <Empty columns={6}>No payments.</Empty>}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function ActivityList({ activities }: { activities: Activity[] }) {
  if (activities.length === 0) return <p className="card-body muted">No activity yet.</p>;
  return (
    <ol className="activity-list" data-testid="activities">
      {activities.map((activity) => (
        <li key={activity.id}>
          <span className="activity-kind">{humanize(activity.kind)}</span>
          <span className="activity-summary">{activity.summary}</span>
          <span className="muted activity-meta">
            {activity.actorName} · <time dateTime={activity.createdAt}>{formatDateTime(activity.createdAt)}</time>
          </span>
        </li>
      ))}
    </ol>
  );
}

function invoiceTone(status: string): string {
  if (status === 'paid') return 'green';
  if (status === 'partially_paid') return 'amber';
  if (status === 'open') return 'blue';
  return 'gray';
}

export function isPastDue(invoice: InvoiceSummary, today: string): boolean {
  return invoice.balance > 0 && invoice.dueDate < today;
}

export function InvoicesTable({ invoices, today }: { invoices: InvoiceSummary[]; today: string }) {
  return (
    <TableWrap label="Invoices">
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">Invoice</th>
            <th scope="col">Due date</th>
            <th scope="col" className="num">
              Amount
            </th>
            <th scope="col" className="num">
              Balance
            </th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {invoices.map((invoice) => (
            <tr key={invoice.invoiceNumber}>
              <td className="mono">
                <Link to={`/app/invoices/${invoice.invoiceNumber}`} aria-label={`Invoice ${invoice.invoiceNumber}`}>
                  {invoice.invoiceNumber}
                </Link>
              </td>
              <td>
                <time dateTime={invoice.dueDate}>{formatDate(invoice.dueDate)}</time>
                {isPastDue(invoice, today) && <span className="badge badge-red badge-inline">Past due</span>}
              </td>
              <td className="num money">{formatMoney(invoice.amount)}</td>
              <td className="num money">{formatMoney(invoice.balance)}</td>
              <td>
                <span className={`badge badge-${invoiceTone(invoice.status)}`}>
                  {invoiceStatusLabel(invoice.status)}
                </span>
              </td>
            </tr>
          ))}
          {invoices.length === 0 && (
            <tr>
              <td colSpan={5} className="empty-cell">
                No invoices for this customer yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </TableWrap>
  );
}
