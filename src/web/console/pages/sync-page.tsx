// /app/sync: the review queue (accept, merge, reject), AMS360 receipt exports (retry) and the sync log.
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, errorMessage, isAbortError } from '../api/api.ts';
import {
  type AmsReceiptExport,
  listAmsReceiptExports,
  listOpenReviews,
  listSyncLog,
  resolveReview,
  retryAmsReceiptExport,
  type SyncLogEntry,
  type SyncReview,
} from '../api/sync-api.ts';
import { Link } from '../shared/router.tsx';
import { TableWrap } from '../shared/table-wrap.tsx';

const timestamp = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });
const when = (iso: string) => <time dateTime={iso}>{timestamp.format(new Date(iso))}</time>;

type Loaded<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; data: T[] };

/** Loads one section's list; `reload` fetches it again after an action. */
function useList<T>(load: (signal: AbortSignal) => Promise<{ data: T[] }>): [Loaded<T>, () => void] {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const [version, setVersion] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is a deliberate re-fetch trigger.
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (body) => setState({ status: 'ready', data: body.data }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        const message =
          error instanceof ApiError && error.status === 403 ? 'Only staff can see this.' : errorMessage(error);
        setState({ status: 'error', message });
      },
    );
    return () => controller.abort();
  }, [load, version]);
  return [state, useCallback(() => setVersion((v) => v + 1), [])];
}

function Section<T>(props: {
  id: string;
  title: string;
  state: Loaded<T>;
  empty: string;
  head: ReactNode;
  row: (item: T) => ReactNode;
  alert?: string | null;
}) {
  const { state } = props;
  return (
    <section className="card" style={sectionStyle} aria-labelledby={`${props.id}-heading`} data-testid={props.id}>
      <div className="card-header">
        <h2 id={`${props.id}-heading`}>{props.title}</h2>
      </div>
      {props.alert && (
        <div className="alert alert-error card-alert" role="alert">
          {props.alert}
        </div>
      )}
      {state.status === 'loading' && <p className="loading">Loading…</p>}
      {state.status === 'error' && <p className="muted empty-cell">{state.message}</p>}
      {state.status === 'ready' && (
        <TableWrap label={props.title}>
          <table className="data-table">
            <thead>{props.head}</thead>
            <tbody>
              {state.data.map(props.row)}
              {state.data.length === 0 && (
                <tr>
                  <td colSpan={8} className="empty-cell">
                    {props.empty}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

function recordName(review: SyncReview): string {
  const fields = review.record.fields as Record<string, unknown> | undefined;
  const name = fields?.name ?? review.record.name;
  return typeof name === 'string' ? name : review.externalId;
}

// Inline so the shared stylesheet stays untouched: sections apart, long text and buttons wrapping.
const sectionStyle = { marginTop: 16 };
const wrap = { whiteSpace: 'normal' } as const;
const actionsStyle = { display: 'flex', flexWrap: 'wrap', gap: 8, whiteSpace: 'normal' } as const;

const exportTone: Record<AmsReceiptExport['status'], string> = {
  held: 'amber',
  pending: 'blue',
  sending: 'blue',
  sent: 'green',
  failed: 'red',
};

export function SyncPage() {
  useEffect(() => {
    document.title = 'Sync · policypay';
  }, []);
  const [reviews, reloadReviews] = useList(listOpenReviews);
  const [exports, reloadExports] = useList(listAmsReceiptExports);
  const [log] = useList(listSyncLog);
  const [busy, setBusy] = useState<string | null>(null);
  const [reviewError, setReviewError] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);

  async function act(key: string, work: () => Promise<unknown>, fail: (message: string) => void, done: () => void) {
    setBusy(key);
    fail('');
    try {
      await work();
      done();
    } catch (error) {
      fail(errorMessage(error));
    } finally {
      setBusy(null);
    }
  }
  const resolve = (review: SyncReview, action: 'accept' | 'reject' | 'merge', customerNumber?: number) =>
    act(
      `${review.id}:${action}:${customerNumber ?? ''}`,
      () => resolveReview(review.id, action, customerNumber),
      (message) => setReviewError(message || null),
      reloadReviews,
    );

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Sync</h1>
          <p className="page-subtitle">
            AMS, benefits and CRM sync: records to review, receipts sent to AMS360, the log.
          </p>
        </div>
      </div>

      <Section
        id="review-queue"
        title="Review queue"
        state={reviews}
        alert={reviewError}
        empty="Nothing to review: every external record matched one customer or none."
        head={
          <tr>
            <th scope="col">System</th>
            <th scope="col">Record</th>
            <th scope="col">Why</th>
            <th scope="col">Actions</th>
          </tr>
        }
        row={(review) => (
          <tr key={review.id}>
            <td>{review.system}</td>
            <td>
              {recordName(review)} <span className="mono muted">{review.externalId}</span>
            </td>
            <td style={wrap}>{review.reason}</td>
            <td className="actions">
              <div style={actionsStyle}>
                {review.candidates.map((candidate) => (
                  <button
                    key={candidate.customerNumber}
                    type="button"
                    className="button button-secondary"
                    disabled={busy !== null}
                    onClick={() => resolve(review, 'merge', candidate.customerNumber)}
                  >
                    Merge into #{candidate.customerNumber} {candidate.name}
                  </button>
                ))}
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={busy !== null}
                  onClick={() => resolve(review, 'accept')}
                >
                  Accept as new customer
                </button>
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={busy !== null}
                  onClick={() => resolve(review, 'reject')}
                >
                  Reject
                </button>
              </div>
            </td>
          </tr>
        )}
      />

      <Section
        id="ams-receipts"
        title="Receipts sent to AMS360"
        state={exports}
        alert={exportError}
        empty="No receipts exported yet (is the AMS360 receipt connector configured?)."
        head={
          <tr>
            <th scope="col">Receipt</th>
            <th scope="col">Customer</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Attempts
            </th>
            <th scope="col">AMS receipt</th>
            <th scope="col">Problem or work to do</th>
            <th scope="col">Actions</th>
          </tr>
        }
        row={(item) => (
          <tr key={item.id}>
            <td className="mono">{item.reference}</td>
            <td>
              <Link to={`/app/customers/${item.customerNumber}`}>#{item.customerNumber}</Link>
            </td>
            <td>
              <span className={`badge badge-${exportTone[item.status]}`}>{item.status}</span>
            </td>
            <td className="num">{item.attempts}</td>
            <td className="mono">{item.amsReceiptId ?? '—'}</td>
            <td style={wrap}>{item.manualAction ?? item.lastError ?? '—'}</td>
            <td>
              {(item.status === 'failed' || item.status === 'held') && (
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={busy !== null}
                  onClick={() =>
                    act(
                      `retry:${item.id}`,
                      () => retryAmsReceiptExport(item.id),
                      (message) => setExportError(message || null),
                      reloadExports,
                    )
                  }
                >
                  {item.status === 'held' ? 'Release' : 'Retry'} {item.reference}
                </button>
              )}
            </td>
          </tr>
        )}
      />

      <Section
        id="sync-log"
        title="Sync log"
        state={log}
        empty="Nothing synced yet."
        head={
          <tr>
            <th scope="col">When</th>
            <th scope="col">System</th>
            <th scope="col">Direction</th>
            <th scope="col">What</th>
            <th scope="col">Customer</th>
            <th scope="col">External id</th>
            <th scope="col">Message</th>
          </tr>
        }
        row={(entry: SyncLogEntry) => (
          <tr key={entry.id}>
            <td>{when(entry.at)}</td>
            <td>{entry.system}</td>
            <td>{entry.direction}</td>
            <td>
              {entry.entity} {entry.action}
            </td>
            <td>
              {entry.customerNumber === null ? (
                '—'
              ) : (
                <Link to={`/app/customers/${entry.customerNumber}`}>#{entry.customerNumber}</Link>
              )}
            </td>
            <td className="mono">{entry.externalId ?? '—'}</td>
            <td style={wrap}>{entry.message ?? '—'}</td>
          </tr>
        )}
      />
    </>
  );
}
