import { Projection } from './scim-attributes.js';
import { invalidValue, ScimException } from './scim-error.js';
import { isObject } from './scim-user-input.js';
import { MAX_RESULTS, SEARCH_SCHEMA } from './scim-schemas.js';

/** A query of a list or a search: GET parameters or a SearchRequest body. */
export interface ListQuery {
  filter?: string;
  startIndex: number;
  count: number;
  projection: Projection;
}

const DEFAULT_COUNT = 100;

/**
 * RFC 7644 §3.4.2.4: startIndex < 1 counts as 1, a negative count as 0; count is capped at
 * MAX_RESULTS and startIndex at the largest exact integer, so any digits the client sends
 * stay a valid OFFSET (a start past the last result is an empty page).
 */
function paging(name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null || (typeof value === 'string' && !value.trim())) {
    return fallback;
  }
  const integer =
    typeof value === 'number'
      ? Number.isInteger(value)
      : typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value);
  if (!integer) throw invalidValue(`${name} must be an integer`);
  // Digits beyond a double's range read as ±Infinity, which the clamp below handles too.
  const number = Number(value);
  const max = name === 'count' ? MAX_RESULTS : Number.MAX_SAFE_INTEGER;
  return Math.min(max, Math.max(name === 'count' ? 0 : 1, number));
}

/** `a,b` in a query; a list of strings in a SearchRequest. */
function names(name: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.split(',');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw invalidValue(`${name} must be a list of attribute names`);
}

/** Reads names case-insensitively (`startindex` is `startIndex`). */
function reader(source: Record<string, unknown>) {
  return (name: string): unknown => {
    const key = Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : source[key];
  };
}

function listQuery(get: (name: string) => unknown): ListQuery {
  const filter = get('filter');
  if (filter !== undefined && filter !== null && typeof filter !== 'string') {
    throw invalidValue('filter must be a string');
  }
  return {
    filter: filter?.trim() || undefined,
    startIndex: paging('startIndex', get('startIndex'), 1),
    count: paging('count', get('count'), DEFAULT_COUNT),
    projection: projection(get),
  };
}

function projection(get: (name: string) => unknown): Projection {
  return Projection.of(
    names('attributes', get('attributes')),
    names('excludedAttributes', get('excludedAttributes')),
  );
}

/** GET /Users, /Groups: query parameters, names case-insensitive. */
export function parseListQuery(query: Record<string, unknown>): ListQuery {
  return listQuery(reader(query));
}

/** `attributes` / `excludedAttributes` of a request that answers one resource. */
export function parseProjection(query: Record<string, unknown>): Projection {
  return projection(reader(query));
}

/** POST …/.search (RFC 7644 §3.4.3). sortBy and sortOrder are ignored: sorting is not supported. */
export function parseSearchRequest(body: unknown): ListQuery {
  if (!isObject(body)) throw invalidSyntax('the body must be a SearchRequest object');
  const get = reader(body);
  const schemas = get('schemas');
  if (!Array.isArray(schemas) || !schemas.includes(SEARCH_SCHEMA)) {
    throw invalidSyntax(`schemas must be ["${SEARCH_SCHEMA}"]`);
  }
  return listQuery(get);
}

const invalidSyntax = (detail: string) => new ScimException(400, detail, 'invalidSyntax');
