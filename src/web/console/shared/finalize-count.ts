// How many paid requests wait for Finalize Payment, for the navigation's badge: read at sign-in
// and on every page change, and again whenever a page finalizes or cancels one.
import { useEffect, useState } from 'react';
import { isAbortError } from '../api/api.ts';
import { listAwaitingFinalize } from '../api/payments-api.ts';

const CHANGED = 'policypay:finalize-queue-changed';

export function notifyFinalizeQueueChanged(): void {
  window.dispatchEvent(new Event(CHANGED));
}

export function useFinalizeCount(location: string): number | null {
  const [count, setCount] = useState<number | null>(null);
  const [changed, setChanged] = useState(0);

  useEffect(() => {
    const bump = () => setChanged((n) => n + 1);
    window.addEventListener(CHANGED, bump);
    return () => window.removeEventListener(CHANGED, bump);
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: location and changed are deliberate re-fetch triggers.
  useEffect(() => {
    const controller = new AbortController();
    listAwaitingFinalize(controller.signal).then(
      (requests) => setCount(requests.length),
      (error: unknown) => {
        if (!isAbortError(error)) setCount(null);
      },
    );
    return () => controller.abort();
  }, [location, changed]);

  return count;
}
