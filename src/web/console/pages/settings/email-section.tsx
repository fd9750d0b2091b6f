// /app/settings/email (staff): how policypay sends e-mail (the installation's SMTP server, not an
// agency setting), a test e-mail that goes the way every e-mail goes, and the backup address.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { type Email, errorMessage, getEmail, isAbortError, newIdempotencyKey, type Session } from '../../api/api.ts';
import { getAllPaymentSettings, patchPaymentSettings, sendTestEmail } from '../../api/settings-api.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { refusalSummary, TextField } from './setting-fields.tsx';

/** How long the page follows a test e-mail before leaving it to the Email page. */
const FOLLOW_MS = 60_000;

function describeTest(email: Email | null): string {
  if (!email) return 'Queued in the outbox…';
  if (email.status === 'sent') return `Sent to ${email.to}. Check that inbox.`;
  if (email.status === 'kept') {
    return 'Kept in the outbox: this server has no SMTP server set (SMTP_URL), so e-mails are read on the Email page.';
  }
  if (email.status === 'failed') return `Could not be sent: ${email.lastError ?? 'the SMTP server refused it'}.`;
  return email.lastError
    ? `Not sent yet (try ${email.attempts}: ${email.lastError}); the worker tries again.`
    : 'Queued in the outbox: the worker sends it shortly…';
}

export function EmailSection({ session }: { session: Session }) {
  const [to, setTo] = useState(session.user.email);
  const [testKey, setTestKey] = useState(newIdempotencyKey);
  const [test, setTest] = useState<{ id: string; email: Email | null } | null>(null);
  const [testError, setTestError] = useState<string | null>(null);
  const [testFieldErrors, setTestFieldErrors] = useState<Record<string, string>>({});
  const [backup, setBackup] = useState<string | null>(null);
  const [backupError, setBackupError] = useState<string | null>(null);
  const [backupFieldErrors, setBackupFieldErrors] = useState<Record<string, string>>({});
  const [backupSaved, setBackupSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const following = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    getAllPaymentSettings(controller.signal).then(
      (settings) => setBackup(settings.backupEmail ?? ''),
      (caught: unknown) => {
        if (!isAbortError(caught)) setBackupError(errorMessage(caught));
      },
    );
    return () => {
      controller.abort();
      following.current?.abort();
    };
  }, []);

  /** Reads the test e-mail until it is sent, kept or failed (or a minute has passed). */
  async function follow(id: string) {
    following.current?.abort();
    const controller = new AbortController();
    following.current = controller;
    const until = Date.now() + FOLLOW_MS;
    while (!controller.signal.aborted && Date.now() < until) {
      try {
        const email = await getEmail(id, controller.signal);
        setTest({ id, email });
        if (email.status !== 'pending') return;
      } catch (caught) {
        if (isAbortError(caught)) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  async function sendTest(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setTestError(null);
    setTestFieldErrors({});
    try {
      const queued = await sendTestEmail(to.trim(), testKey);
      setTestKey(newIdempotencyKey());
      setTest({ id: queued.id, email: null });
      void follow(queued.id);
    } catch (caught) {
      const fields = fieldErrorsOf(caught);
      setTestError(refusalSummary(errorMessage(caught), fields));
      setTestFieldErrors(fields);
    }
    setBusy(false);
  }

  async function saveBackup(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (backup === null) return;
    setBusy(true);
    setBackupError(null);
    setBackupFieldErrors({});
    setBackupSaved(false);
    try {
      const settings = await patchPaymentSettings({ backupEmail: backup.trim() || null });
      setBackup(settings.backupEmail ?? '');
      setBackupSaved(true);
    } catch (caught) {
      const fields = fieldErrorsOf(caught);
      setBackupError(refusalSummary(errorMessage(caught), fields));
      setBackupFieldErrors(fields);
    }
    setBusy(false);
  }

  return (
    <>
      <div className="section-header">
        <h2>E-mail</h2>
        <p className="page-subtitle">What policypay sends, how, and to whom besides the client.</p>
      </div>
      <section className="card" aria-labelledby="email-sending-heading">
        <div className="card-header">
          <h3 id="email-sending-heading">How e-mail is sent</h3>
        </div>
        <div className="card-body">
          <p>
            Every e-mail is written to the outbox (the Email page) and sent by the policypay worker through the SMTP
            server its installation names in <code>SMTP_URL</code>, from the address in <code>EMAIL_FROM</code>. The
            SMTP server is the same for every agency on this installation, so it is not changed here; ask whoever runs
            policypay. Without <code>SMTP_URL</code>, e-mails stay in the outbox to be read there.
          </p>
        </div>
      </section>

      <form className="card" onSubmit={sendTest} noValidate aria-label="Send a test e-mail">
        <div className="card-header">
          <h3>Send a test e-mail</h3>
        </div>
        <div className="card-body">
          {testError && (
            <div className="alert alert-error" role="alert">
              {testError}
            </div>
          )}
          <TextField
            id="email-test-to"
            type="email"
            label="Send to"
            value={to}
            onChange={setTo}
            error={testFieldErrors.to}
          />
          {test && (
            <output className={`alert ${test.email?.status === 'failed' ? 'alert-error' : 'alert-success'}`}>
              {describeTest(test.email)}
            </output>
          )}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              Send a test e-mail
            </button>
          </div>
        </div>
      </form>

      <form className="card" onSubmit={saveBackup} noValidate aria-label="Backup address">
        <div className="card-header">
          <h3>Backup address</h3>
        </div>
        <div className="card-body">
          {backupError && (
            <div className="alert alert-error" role="alert">
              {backupError}
            </div>
          )}
          {backupSaved && <output className="alert alert-success">Backup address saved.</output>}
          {backup !== null && (
            <TextField
              id="settings-backup-email"
              type="email"
              label="Backup email address"
              hint="Told, with the producer, CSR and requestor, whenever a client pays a request, and about reversals. Empty: nobody else."
              value={backup}
              onChange={(v) => {
                setBackupSaved(false);
                setBackup(v);
              }}
              error={backupFieldErrors.backupEmail}
            />
          )}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy || backup === null}>
              Save backup address
            </button>
          </div>
        </div>
      </form>
    </>
  );
}
