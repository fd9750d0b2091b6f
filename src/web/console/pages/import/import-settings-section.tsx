// Settings → Import the book: where staff find the import page, with the order the files go in.

import { importKinds } from '../../api/import-api.ts';
import { Link } from '../../shared/router.tsx';
import { kindGuides } from './kind-guide.ts';

export function ImportSettingsSection() {
  return (
    <>
      <div className="section-header">
        <h2>Import the book</h2>
        <p className="page-subtitle">
          Moving from another system? Import its CSV exports: each file is checked first, and nothing is written until
          you commit it. Import them in this order:
        </p>
      </div>
      <div className="card">
        <div className="card-body">
          <ol>
            {importKinds.map((kind) => (
              <li key={kind}>
                <strong>{kindGuides[kind].label}</strong> — {kindGuides[kind].summary}
              </li>
            ))}
          </ol>
          <div className="form-actions">
            <Link to="/app/import" className="button button-primary">
              Open the import page
            </Link>
          </div>
        </div>
      </div>
    </>
  );
}
