/**
 * LDAP's GeneralizedTime (RFC 4517) in UTC, as directories stamp changes: `20261130150405Z`
 * (OpenLDAP), `20261130150405.0Z` (Active Directory).
 */
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?Z$/;

/** Milliseconds since the epoch; undefined for anything else than a UTC GeneralizedTime. */
export function parseGeneralizedTime(value: string | undefined): number | undefined {
  const match = GENERALIZED_TIME.exec(value ?? '');
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const fraction = Number(`0.${match[7] ?? '0'}`);
  const time = Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(fraction * 1000);
  // Date.UTC rolls over what a calendar does not have (month 13, second 61).
  return digitsOf(time) === match.slice(1, 7).join('') ? time : undefined;
}

/**
 * The time, down to the second (rounded down: a filter `>=` on it keeps the whole second), as
 * GeneralizedTime; `fraction` is written before the Z (`.0` for Active Directory).
 */
export function generalizedTime(time: number, fraction = ''): string {
  return `${digitsOf(time)}${fraction}Z`;
}

/** YYYYMMDDHHMMSS */
function digitsOf(time: number): string {
  return new Date(time).toISOString().replace(/\D/g, '').slice(0, 14);
}
