import { invalidValue } from './scim-error.js';
import { MAX_RESULTS } from './scim-schemas.js';

export interface ListQuery {
  filter?: string;
  startIndex: number;
  count: number;
  excludedAttributes: Set<string>;
}

/** Query parameters, names case-insensitive; startIndex < 1 counts as 1 (RFC 7644 §3.4.2.4). */
export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const get = (name: string): string | undefined => {
    const key = Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : query[key];
    return typeof value === 'string' ? value : undefined;
  };
  const integer = (name: string, fallback: number): number => {
    const raw = get(name);
    if (raw === undefined || raw.trim() === '') return fallback;
    if (!/^-?\d+$/.test(raw.trim())) throw invalidValue(`${name} must be an integer`);
    return Number(raw);
  };
  const filter = get('filter')?.trim();
  return {
    filter: filter ? filter : undefined,
    startIndex: Math.max(1, integer('startIndex', 1)),
    count: Math.min(MAX_RESULTS, Math.max(0, integer('count', 100))),
    excludedAttributes: new Set(
      (get('excludedAttributes') ?? '')
        .split(',')
        .map((a) => a.trim().toLowerCase())
        .filter(Boolean),
    ),
  };
}

export const etag = (version: number) => `W/"${version}"`;
