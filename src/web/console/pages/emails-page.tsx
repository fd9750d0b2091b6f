// /app/emails: the email outbox — every message policypay sent or would send (to, subject, body).
// Without SMTP_URL messages are only kept here, so a new user sees exactly what would go out.
import { useEffect, useState } from 'react';
import { type Email, type EmailSummary, errorMessage, getEmail, isAbortError, listEmails } from '../api/api.ts';
import { formatDateTime, humanize } from '../shared/format.ts';

function statusTone(status: string): string {
  if (status === 'sent') return 'green';
  if (status === 'failed') return 'red';
  if (status === 'kept') return 'violet';
  return 'amber';
}

function EmailBody({ id }: { id: string }) {
  const [email, setEmail] = useState<Email | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<'html' | 'text'>('html');

  useEffect(() => {
    const controller = new AbortController();
    getEmail(id, controller.signal).then(setEmail, (caught: unknown) => {
      if (!isAbortError(caught)) setError(errorMessage(caught));
    });
    return () => controller.abort();
  }, [id]);

  if (error) return <p className="alert alert-error">{error}</p>;
  if (!email) return <p className="loading">Loading message…</p>;
  return (
    <div className="email-body">
      <fieldset className="segmented" aria-label="Message format">
        <button type="button" aria-pressed={view === 'html'} onClick={() => setView('html')}>
          HTML
        </button>
        <button type="button" aria-pressed={view === 'text'} onClick={() => setView('text')}>
          Plain text
        </button>
      </fieldset>
      {view === 'html' ? (
        // A sandboxed frame without scripts: the message renders as a mail client would show it.
        <iframe title={`Message: ${email.subject}`} sandbox="" srcDoc={email.html} className="email-frame" />
      ) : (
        <pre className="email-text">{email.text}</pre>
      )}
      {email.lastError && <p className="muted">Last error: {email.lastError}</p>}
    </div>
  );
}

export function EmailsPage() {
  const [emails, setEmails] = useState<EmailSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Email · policypay';
    const controller = new AbortController();
    listEmails(controller.signal).then(
      ({ data }) => setEmails(data),
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
    return () => controller.abort();
  }, []);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Email</h1>
          <p className="page-subtitle">
            Messages sent to clients and staff, newest first. Clients' sign-in links are hidden here.
          </p>
        </div>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          Could not load the outbox: {error}
        </div>
      )}
      {!emails && !error && <p className="loading">Loading…</p>}
      {emails && emails.length === 0 && (
        <div className="card empty-state">
          <p className="muted">No email yet. Requesting an online payment sends one.</p>
        </div>
      )}
      {emails && emails.length > 0 && (
        <ul className="email-list" data-testid="emails">
          {emails.map((email) => {
            const expanded = open === email.id;
            return (
              <li key={email.id} className="card email-item">
                <button
                  type="button"
                  className="email-summary"
                  aria-expanded={expanded}
                  aria-controls={`email-${email.id}`}
                  onClick={() => setOpen(expanded ? null : email.id)}
                >
                  <span className="email-subject">{email.subject}</span>
                  <span className="email-to">To: {email.to}</span>
                  <span className={`badge badge-${statusTone(email.status)}`}>{humanize(email.status)}</span>
                  <span className="muted email-date">{formatDateTime(email.createdAt)}</span>
                </button>
                {expanded && (
                  <div id={`email-${email.id}`}>
                    <EmailBody id={email.id} />
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
