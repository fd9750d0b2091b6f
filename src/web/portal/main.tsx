// Entry point of the client portal (served at /portal).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

const container = document.getElementById('root');
if (!container) throw new Error('policypay portal: #root element missing from index.html');
createRoot(container).render(
  <StrictMode>
    <main className="auth-page">
      <h1>Client portal</h1>
    </main>
  </StrictMode>,
);
