import { isTimeZone } from './calendar.ts';

/**
 * Windows time zone IDs that AMS360 users send, mapped to IANA names (CLDR's "001" territory
 * mapping). Zones are stored by their IANA name.
 */
const windowsToIana: Readonly<Record<string, string>> = {
  'Dateline Standard Time': 'Etc/GMT+12',
  'UTC-11': 'Etc/GMT+11',
  'Aleutian Standard Time': 'America/Adak',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Alaskan Standard Time': 'America/Anchorage',
  'Pacific Standard Time (Mexico)': 'America/Tijuana',
  'Pacific Standard Time': 'America/Los_Angeles',
  'US Mountain Standard Time': 'America/Phoenix',
  'Mountain Standard Time (Mexico)': 'America/Mazatlan',
  'Mountain Standard Time': 'America/Denver',
  'Central America Standard Time': 'America/Guatemala',
  'Central Standard Time': 'America/Chicago',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'Canada Central Standard Time': 'America/Regina',
  'SA Pacific Standard Time': 'America/Bogota',
  'Eastern Standard Time (Mexico)': 'America/Cancun',
  'Eastern Standard Time': 'America/New_York',
  'US Eastern Standard Time': 'America/Indiana/Indianapolis',
  'Atlantic Standard Time': 'America/Halifax',
  'SA Western Standard Time': 'America/La_Paz',
  'Newfoundland Standard Time': 'America/St_Johns',
  'Argentina Standard Time': 'America/Buenos_Aires',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'UTC-02': 'Etc/GMT+2',
  'Azores Standard Time': 'Atlantic/Azores',
  UTC: 'Etc/UTC',
  'Coordinated Universal Time': 'Etc/UTC',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Romance Standard Time': 'Europe/Paris',
  'Central European Standard Time': 'Europe/Warsaw',
  'GTB Standard Time': 'Europe/Bucharest',
  'FLE Standard Time': 'Europe/Kiev',
  'Israel Standard Time': 'Asia/Jerusalem',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'Russian Standard Time': 'Europe/Moscow',
  'Arabian Standard Time': 'Asia/Dubai',
  'India Standard Time': 'Asia/Calcutta',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'West Pacific Standard Time': 'Pacific/Port_Moresby',
  'Hawaii-Aleutian Standard Time': 'Pacific/Honolulu',
};

const byLowerCase = new Map(Object.entries(windowsToIana).map(([windows, iana]) => [windows.toLowerCase(), iana]));

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
  const windows = byLowerCase.get(trimmed.toLowerCase());
  if (windows) return windows;
  // Intl accepts "utc" and "Etc/UTC" alike; only names with a region or UTC are IANA zones.
  if (trimmed.length > 0 && isTimeZone(trimmed)) {
    return new Intl.DateTimeFormat('en-US', { timeZone: trimmed }).resolvedOptions().timeZone;
  }
  return undefined;
}

const ianaToWindows = new Map<string, string>();
for (const [windows, iana] of Object.entries(windowsToIana))
  if (!ianaToWindows.has(iana)) ianaToWindows.set(iana, windows);

/** The Windows zone ID AMS360 knows for an IANA zone (first in CLDR order), or the IANA name itself. */
export function windowsTimeZone(iana: string): string {
  return ianaToWindows.get(iana) ?? iana;
}
