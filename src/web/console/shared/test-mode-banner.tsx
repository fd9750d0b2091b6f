// The "Test mode" banner on every page of the console and the portal while the sandbox processor
// serves payments: nothing a client pays there is charged, and everyone must see so.
import { useEffect, useState } from 'react';
import { request } from './api.ts';

export function TestModeBanner({ source }: { source: '/api/v1/system' | '/api/v1/portal/config' }) {
  const [testMode, setTestMode] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    request<{ testMode: boolean }>('GET', source, { signal: controller.signal }).then(
      (answer) => setTestMode(answer.testMode),
      () => {}, // No answer, no banner: the pages themselves show the server is unavailable.
    );
    return () => controller.abort();
  }, [source]);
  if (!testMode) return null;
  return (
    <div className="test-mode-banner" role="status">
      <strong>Test mode</strong> · payments go to the sandbox processor: nothing is charged
    </div>
  );
}
