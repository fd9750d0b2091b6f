// /app/settings[/<section>] (staff): the agency's settings, one section at a time beside a list of
// every section, so a person finds "API keys" or "Banks" without knowing the URL.
import { useEffect } from 'react';
import type { Session } from '../../api/api.ts';
import { Link } from '../../shared/router.tsx';
import { settingsSections } from './sections.tsx';

export function SettingsPage({ section, session }: { section: string | null; session: Session }) {
  const current = section === null ? settingsSections[0] : settingsSections.find((s) => s.id === section);
  useEffect(() => {
    document.title = current ? `${current.label} · Settings · policypay` : 'Settings · policypay';
  }, [current]);
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Settings</h1>
        </div>
      </div>
      <div className="settings-layout">
        <nav aria-label="Settings" className="settings-nav">
          {settingsSections.map((s) => (
            <Link key={s.id} to={`/app/settings/${s.id}`} aria-current={s === current ? 'page' : undefined}>
              {s.label}
            </Link>
          ))}
        </nav>
        <div className="settings-section">
          {current ? (
            current.render(session)
          ) : (
            <div className="card empty-state">
              <h2>No such settings section</h2>
              <p className="muted">Choose a section from the list.</p>
            </div>
          )}
        </div>
      </div>
    </>
  );
}
