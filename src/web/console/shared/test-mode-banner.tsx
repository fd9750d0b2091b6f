// The "Test mode" banner on every page of the console and the portal while the sandbox processor
// serves payments: nothing a client pays there is charged, and everyone must see so.
import { useEffect, useState } from 'react';
import { request } from '../api/api.ts';
import { TEST_MODE_CHANGED } from '../api/processor-api.ts';

export function TestModeBanner({ source }: { source: '/api/v1/system' | '/api/v1/portal/config' }) {
  const [testMode, setTestMode] = useState(false);
  // Test mode is per agency (the sandbox or a Stripe test key): asked again when the processor changes.
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    const again = () => setAsked((n) => n + 1);
    window.addEventListener(TEST_MODE_CHANGED, again);
    return () => window.removeEventListener(TEST_MODE_CHANGED, again);
  }, []);
  useEffect(() => {
    const controller = new AbortController();
    void asked;
    request<{ testMode: boolean }>('GET', source, { signal: controller.signal }).then(
      (answer) => setTestMode(answer.testMode),
      () => {}, // No answer, no banner: the pages themselves show the server is unavailable.
    );
    return () => controller.abort();
  }, [source, asked]);
  if (!testMode) return null;
  return (
    <div className="test-mode-banner" role="status">
      <strong>Test mode</strong> · payments go to the sandbox or a Stripe test account: nothing is charged
    </div>
  );
}
