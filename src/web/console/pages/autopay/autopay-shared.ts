// The Autopay page's helpers: its times read in the agency's time zone (as autopay times are set),
// and a section's load.
import { useEffect, useState } from 'react';
import { errorMessage, isAbortError } from '../../api/api.ts';

const formats = new Map<string, Intl.DateTimeFormat>();

/** An ISO instant as the agency's wall clock: "Mar 5, 2026, 6:00 AM". */
export function agencyDateTime(iso: string, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone });
    formats.set(timeZone, format);
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : format.format(date);
}

type Loaded<T> = { status: 'loading' } | { status: 'ready'; value: T } | { status: 'error'; message: string };

/** Loads again whenever `key` changes (a reload, another page), aborting a stale answer. */
export function useLoaded<T>(load: (signal: AbortSignal) => Promise<T>, key: string | number): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: key is the deliberate re-fetch trigger; load is the caller's.
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (value) => setState({ status: 'ready', value }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [key]);
  return state;
}
