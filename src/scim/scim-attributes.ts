import { invalidValue, ScimException } from './scim-error.js';
import {
  type Attribute,
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_SCHEMA,
  GROUP_SCHEMA,
  READ_ONLY_ATTRIBUTES,
  USER_ATTRIBUTES,
  USER_SCHEMA,
} from './scim-schemas.js';
import { isObject } from './scim-user-input.js';

type Json = Record<string, unknown>;

/**
 * An attribute in standard notation (RFC 7644 §3.10) as the keys leading to it in a resource,
 * lower-cased: `name.givenName` -> [name, givenname]; a core schema URN prefix is dropped;
 * an extension's attributes sit under its URN: `…:enterprise:2.0:User:manager.value` ->
 * [urn…:user, manager, value].
 */
export function attributeSegments(notation: string): string[] {
  const lower = notation.trim().toLowerCase();
  for (const core of [USER_SCHEMA, GROUP_SCHEMA]) {
    const prefix = `${core.toLowerCase()}:`;
    if (lower.startsWith(prefix)) return lower.slice(prefix.length).split('.');
  }
  const enterprise = ENTERPRISE_SCHEMA.toLowerCase();
  if (lower === enterprise) return [enterprise];
  if (lower.startsWith(`${enterprise}:`)) {
    return [enterprise, ...lower.slice(enterprise.length + 1).split('.')];
  }
  return lower.split('.');
}

/** Returned whatever `attributes` or `excludedAttributes` say ("returned": "always"). */
const ALWAYS = new Set(['schemas', 'id']);

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes of a
 * resource an answer carries. Names are case-insensitive; unknown names select nothing.
 */
export class Projection {
  private constructor(
    private readonly only: string[][] | undefined,
    private readonly excluded: string[][],
  ) {}

  /** From comma-separated strings (query) or arrays of strings (a SearchRequest). */
  static of(attributes: string[] | undefined, excludedAttributes: string[] | undefined) {
    const parse = (names: string[] | undefined) =>
      names
        ?.map((name) => name.trim())
        .filter(Boolean)
        .map(attributeSegments);
    const only = parse(attributes);
    const excluded = parse(excludedAttributes) ?? [];
    if (only?.length && excluded.length) {
      throw invalidValue('attributes and excludedAttributes cannot be used together');
    }
    return new Projection(only?.length ? only : undefined, excluded);
  }

  /** Whether the answer shows (part of) this top-level attribute: skip loading it if not. */
  returns(attribute: string): boolean {
    const name = attribute.toLowerCase();
    if (this.only) return this.only.some((path) => path[0] === name);
    return !this.excluded.some((path) => path.length === 1 && path[0] === name);
  }

  apply<T extends Json>(resource: T): T {
    const kept = this.only ? pick(resource, this.only) : drop(resource, this.excluded);
    // In the resource's own order, with what is always returned.
    return Object.fromEntries(
      Object.entries(resource)
        .filter(([key]) => ALWAYS.has(key) || key in kept)
        .map(([key, value]) => [key, ALWAYS.has(key) ? value : kept[key]]),
    ) as T;
  }
}

/** Paths (minus their first segment) under `key`, when the first one names it. */
const under = (paths: string[][], key: string) =>
  paths.filter((path) => path[0] === key.toLowerCase()).map((path) => path.slice(1));

function pick(value: Json, paths: string[][]): Json {
  const out: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    const rest = under(paths, key);
    if (rest.length === 0) continue;
    out[key] = rest.some((path) => path.length === 0) ? inner : mapObjects(inner, rest, pick);
  }
  return out;
}

function drop(value: Json, paths: string[][]): Json {
  const out: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    const rest = under(paths, key);
    if (rest.some((path) => path.length === 0)) continue;
    out[key] = rest.length ? mapObjects(inner, rest, drop) : inner;
  }
  return out;
}

/** A sub-attribute path applies to an object, or to each object of a multi-valued one. */
function mapObjects(
  value: unknown,
  paths: string[][],
  each: (value: Json, paths: string[][]) => Json,
): unknown {
  if (Array.isArray(value)) return value.map((item) => mapObjects(item, paths, each));
  return isObject(value) ? each(value, paths) : value;
}

const withoutFilters = (path: string) => path.replace(/\[[^\]]*\]/g, '');
const mutability = (detail: string) => new ScimException(400, detail, 'mutability');
const invalidPath = (detail: string) => new ScimException(400, detail, 'invalidPath');

/**
 * Attributes RFC 7643 defines for a User that the roster does not keep: a PATCH of them is
 * accepted and changes nothing, as they are ignored in a POST or PUT.
 */
const NOT_KEPT = new Set([
  'nickname',
  'profileurl',
  'usertype',
  'preferredlanguage',
  'locale',
  'timezone',
  'password',
  'phonenumbers',
  'ims',
  'photos',
  'addresses',
  'entitlements',
  'roles',
  'x509certificates',
  'name.middlename',
  'name.honorificprefix',
  'name.honorificsuffix',
  'emails.display',
  'enterprise:employeenumber',
  'enterprise:costcenter',
  'enterprise:organization',
  'enterprise:division',
  'enterprise:manager.displayname',
]);

/**
 * A User PATCH path (value filters such as `emails[type eq "work"]` allowed) must name an
 * attribute of the schema: 400 invalidPath otherwise, 400 mutability for a read-only one.
 */
export function checkUserPatchPath(path: string): void {
  checkNotReadOnly(path);
  const segments = attributeSegments(withoutFilters(path));
  const enterprise = segments[0] === ENTERPRISE_SCHEMA.toLowerCase();
  const [attribute, sub, ...beyond] = enterprise ? segments.slice(1) : segments;
  const definition = (enterprise ? ENTERPRISE_ATTRIBUTES : USER_ATTRIBUTES).find(
    (a) => a.name.toLowerCase() === attribute,
  );
  const name = `${enterprise ? 'enterprise:' : ''}${attribute}`;
  if (NOT_KEPT.has(name) || NOT_KEPT.has(`${name}.${sub}`)) return;
  if (!definition || beyond.length > 0) throw invalidPath(`unknown attribute path "${path}"`);
  if (sub === undefined) return;
  const subDefinition: Attribute | undefined = definition.subAttributes?.find(
    (a) => a.name.toLowerCase() === sub,
  );
  if (!subDefinition) throw invalidPath(`unknown attribute path "${path}"`);
  if (subDefinition.mutability === 'readOnly') throw mutability(`${path} is read-only`);
}

/** Explicit PATCH paths to attributes no client may change, on any resource. */
export function checkNotReadOnly(path: string): void {
  const [attribute] = attributeSegments(withoutFilters(path));
  if (READ_ONLY_ATTRIBUTES.has(attribute)) throw mutability(`${path} is read-only`);
}
