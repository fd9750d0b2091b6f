// A customer's sync badges ("AMS synced", "Benefits synced") and external ids, on the account page.
import { useEffect, useState } from 'react';
import { errorMessage, isAbortError } from '../../api/api.ts';
import { type CustomerSync, getCustomerSync, type SyncBadge } from '../../api/sync-api.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';

const systemNames: Record<string, string> = { ams: 'AMS', benefits: 'Benefits', crm: 'CRM' };

function badgeTone(badge: SyncBadge): string {
  if (badge.status === 'error') return 'red';
  if (badge.status === 'pending') return 'amber';
  return 'green';
}

const timestamp = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });

type PanelState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; sync: CustomerSync };

export function CustomerSyncPanel({ customerNumber }: { customerNumber: number }) {
  const [state, setState] = useState<PanelState>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    getCustomerSync(customerNumber, controller.signal).then(
      (sync) => setState({ status: 'ready', sync }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [customerNumber]);

  return (
    <section className="card" style={{ marginTop: 16 }} aria-labelledby="sync-heading" data-testid="customer-sync">
      <div className="card-header">
        <h2 id="sync-heading">External systems</h2>
        {state.status === 'ready' && (
          <p className="page-subtitle">
            {state.sync.badges.map((badge) => (
              <span key={badge.system} className={`badge badge-${badgeTone(badge)}`}>
                {badge.status === 'synced'
                  ? badge.label
                  : `${systemNames[badge.system] ?? badge.system} ${badge.status}`}
              </span>
            ))}
            {state.sync.pending.map((system) => (
              <span key={`pending-${system}`} className="badge badge-amber">
                {`${systemNames[system] ?? system} push queued`}
              </span>
            ))}
          </p>
        )}
      </div>
      {state.status === 'loading' && <p className="loading">Loading sync status…</p>}
      {state.status === 'error' && (
        <div className="alert alert-error" role="alert">
          Could not load the sync status: {state.message}
        </div>
      )}
      {state.status === 'ready' && state.sync.badges.length === 0 && (
        <p className="muted empty-cell">Not synced with any external system.</p>
      )}
      {state.status === 'ready' && state.sync.badges.length > 0 && (
        <TableWrap label="Linked systems">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">System</th>
                <th scope="col">External id</th>
                <th scope="col">AMS customer no.</th>
                <th scope="col">Last synced</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {state.sync.badges.map((badge) => (
                <tr key={badge.system}>
                  <td>{systemNames[badge.system] ?? badge.system}</td>
                  <td className="mono">{badge.externalId}</td>
                  <td className="mono">{badge.amsCustomerNumber ?? '—'}</td>
                  <td>
                    <time dateTime={badge.syncedAt}>{timestamp.format(new Date(badge.syncedAt))}</time>
                  </td>
                  <td style={{ whiteSpace: 'normal' }}>{badge.lastError ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
