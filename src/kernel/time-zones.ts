import { findWindows, WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { isTimeZone } from './calendar.ts';

/**
 * Receipt time zones: every Windows time-zone ID (AMS360 runs on Windows and sends those) and
 * every IANA zone. The Windows IDs come from CLDR's windowsZones table through `windows-iana`
 * (maintained, pure JS), each to its "001" (main) IANA zone. Zones are stored by IANA name.
 */
const windowsToIana = new Map<string, string>();
for (const { windowsName, territory, iana } of WINDOWS_TO_IANA_MAP) {
  const zone = iana[0];
  if (territory === '001' && zone) windowsToIana.set(windowsName.toLowerCase(), zone);
}

/**
 * Names people write that are neither: US abbreviations and the display names of two zones.
 * "EST" means US Eastern time (America/New_York, with daylight saving), as a US agency writing
 * it does — not IANA's fixed UTC−5 zone, which Intl resolves to America/Panama. Each "X Standard
 * Time" abbreviation means what Windows' "X Standard Time" means (so MST is Denver, not Phoenix).
 */
const abbreviations: Readonly<Record<string, string>> = {
  est: 'America/New_York',
  edt: 'America/New_York',
  cst: 'America/Chicago',
  cdt: 'America/Chicago',
  mst: 'America/Denver',
  mdt: 'America/Denver',
  pst: 'America/Los_Angeles',
  pdt: 'America/Los_Angeles',
  akst: 'America/Anchorage',
  akdt: 'America/Anchorage',
  hst: 'Pacific/Honolulu',
  'coordinated universal time': 'Etc/UTC',
  'hawaii-aleutian standard time': 'Pacific/Honolulu',
};

// Resolving a name builds Intl.DateTimeFormat objects (~0.3 ms each): every receipt names its zone,
// and there are few distinct names, so answers are remembered. Bounded, because the names come from
// requests: past the bound the memory starts over.
const resolved = new Map<string, string | undefined>();
const MAX_REMEMBERED = 1_000;

/** An IANA name as given, or the IANA name of a Windows zone ID; undefined when unknown. */
export function resolveTimeZone(name: string): string | undefined {
  if (resolved.has(name)) return resolved.get(name);
  const zone = resolveUncached(name);
  if (resolved.size >= MAX_REMEMBERED) resolved.clear();
  resolved.set(name, zone);
  return zone;
}

function resolveUncached(name: string): string | undefined {
  const trimmed = name.trim();
  const lower = trimmed.toLowerCase();
  const named = windowsToIana.get(lower) ?? abbreviations[lower];
  if (named) return named;
  // Intl accepts "utc" and "Etc/UTC" alike; only names with a region or UTC are IANA zones.
  if (trimmed.length > 0 && isTimeZone(trimmed)) {
    return new Intl.DateTimeFormat('en-US', { timeZone: trimmed }).resolvedOptions().timeZone;
  }
  return undefined;
}

/** The Windows zone ID AMS360 knows for an IANA zone (CLDR's main one), or the IANA name itself. */
export function windowsTimeZone(iana: string): string {
  return findWindows(iana)[0] ?? iana;
}
