/**
 * Whether a path or body value can be a row id. Ids are uuids; checking first turns a malformed id
 * into "not found" instead of a database type error.
 */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
