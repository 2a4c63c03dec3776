import { ScimException, invalidValue } from './scim-error.js';
import {
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_SCHEMA,
  READ_ONLY_ATTRIBUTES,
  USER_SCHEMA,
} from './scim-schemas.js';

/** A SCIM User as the roster stores it. */
export interface UserInput {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  /** `name.formatted` when the client sent one (else it is built from the parts). */
  formattedName: string | null;
  /** Trimmed, spelled as sent; null: the user has none. */
  email: string | null;
  title: string | null;
  department: string | null;
  managerId: string | null;
  /** undefined: not sent (a new user is active; an existing one keeps its state). */
  active: boolean | undefined;
}

type Json = Record<string, unknown>;

/** Canonical spelling of the attribute names we read, by their lower-cased name. */
const CANONICAL: Record<string, string> = Object.fromEntries(
  [
    'schemas',
    'id',
    'externalId',
    'userName',
    'name',
    'givenName',
    'familyName',
    'formatted',
    'middleName',
    'displayName',
    'nickName',
    'title',
    'active',
    'emails',
    'value',
    'type',
    'primary',
    'display',
    'department',
    'manager',
    'members',
    'meta',
    'phoneNumbers',
    'addresses',
    'locale',
    'timezone',
    'userType',
    'preferredLanguage',
    'employeeNumber',
    'costCenter',
    'organization',
    'division',
  ].map((name) => [name.toLowerCase(), name]),
);

const canonicalName = (name: string): string => {
  const lower = name.toLowerCase();
  if (lower === ENTERPRISE_SCHEMA.toLowerCase()) return ENTERPRISE_SCHEMA;
  return CANONICAL[lower] ?? name;
};

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Attribute names are case-insensitive in SCIM: every key spelled our way, at any depth. */
export function canonicalKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [canonicalName(key), canonicalKeys(inner)]),
  );
}

/** `true`, `false`, and what IdPs send instead: "True", "false". */
export function toBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
    return value.trim().toLowerCase() === 'true';
  }
  throw invalidValue(`${field} must be a boolean`);
}

function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidValue(`${field} must be a string`);
  return value.trim() === '' ? null : value.trim();
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * The roster email: the primary email, else the work one, else the first, else userName when
 * it is an address; none at all is fine (RFC 7643 §4.1 requires only userName).
 */
function pickEmail(emails: unknown, userName: string): string | null {
  if (emails !== undefined && emails !== null && !Array.isArray(emails)) {
    throw invalidValue('emails must be an array');
  }
  const list = ((emails as unknown[] | undefined) ?? []).map((entry) => {
    if (!isObject(entry) || typeof entry.value !== 'string') {
      throw invalidValue('every entry of emails needs a string value');
    }
    return entry;
  });
  const chosen =
    list.find((entry) => toBoolean(entry.primary, 'emails.primary') === true) ??
    list.find((entry) => typeof entry.type === 'string' && entry.type.toLowerCase() === 'work') ??
    list[0];
  if (!chosen) return EMAIL.test(userName) ? userName : null;
  const email = (chosen.value as string).trim();
  if (!EMAIL.test(email)) throw invalidValue(`"${email}" is not an email address`);
  return email;
}

/** A User resource (POST, PUT, or the result of a PATCH) as roster fields; 400 if unusable. */
export function parseUser(body: unknown): UserInput {
  if (!isObject(body)) throw invalidValue('the body must be a User resource object');
  const user = canonicalKeys(body) as Json;
  if (typeof user.userName !== 'string' || user.userName.trim() === '') {
    throw invalidValue('userName is required');
  }
  const userName = user.userName.trim();
  if (user.name !== undefined && user.name !== null && !isObject(user.name)) {
    throw invalidValue('name must be an object');
  }
  const name = (user.name as Json | undefined) ?? {};
  const enterprise = user[ENTERPRISE_SCHEMA] ?? {};
  if (!isObject(enterprise)) throw invalidValue(`${ENTERPRISE_SCHEMA} must be an object`);
  return {
    userName,
    externalId: optionalString(user.externalId, 'externalId'),
    displayName: optionalString(user.displayName, 'displayName'),
    givenName: optionalString(name.givenName, 'name.givenName'),
    familyName: optionalString(name.familyName, 'name.familyName'),
    formattedName: optionalString(name.formatted, 'name.formatted'),
    email: pickEmail(user.emails, userName),
    title: optionalString(user.title, 'title'),
    department: optionalString(enterprise.department, 'department'),
    managerId: managerValue(enterprise.manager),
    active: toBoolean(user.active, 'active'),
  };
}

/** Entra sends the manager as a bare id string; the schema says `{value}`. */
function managerValue(manager: unknown): string | null {
  const value =
    typeof manager === 'string'
      ? optionalString(manager, 'manager')
      : isObject(manager)
        ? optionalString(manager.value, 'manager.value')
        : manager === undefined || manager === null
          ? null
          : invalidManager();
  // Ids are stored as Postgres prints them, so a manager's removal finds its reports.
  return value !== null && UUID.test(value) ? value.toLowerCase() : value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalidManager(): never {
  throw invalidValue('manager must be an object with a value');
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

const invalidSyntax = (detail: string) => new ScimException(400, detail, 'invalidSyntax');

/**
 * A PatchOp body as operations in one shape: op names lower-cased, no-path values split into
 * one operation per attribute (dotted keys like "name.givenName" and enterprise URN keys
 * included), attribute names in paths spelled our way.
 */
export function normalizePatch(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw invalidSyntax('the body must be a PatchOp object');
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const operations = key ? body[key] : undefined;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalidSyntax('Operations must be a non-empty array');
  }
  return operations.flatMap((raw): PatchOperation[] => {
    if (!isObject(raw)) throw invalidSyntax('every operation must be an object');
    const entries = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
    const op = typeof entries.op === 'string' ? entries.op.trim().toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') {
      throw invalidSyntax(`unsupported operation "${String(entries.op)}"`);
    }
    const path = typeof entries.path === 'string' ? entries.path.trim() : undefined;
    if (path?.toLowerCase() === ENTERPRISE_SCHEMA.toLowerCase()) {
      return extensionOperations(op, entries.value);
    }
    if (path) return [{ op, path: normalizePath(path), value: entries.value }];
    if (op === 'remove') throw new ScimException(400, 'remove needs a path', 'noTarget');
    if (!isObject(entries.value)) {
      throw invalidValue('an operation without a path needs an object value');
    }
    return Object.entries(entries.value).flatMap(([attribute, value]): PatchOperation[] => {
      if (attribute.toLowerCase() === ENTERPRISE_SCHEMA.toLowerCase()) {
        return extensionOperations(op, value);
      }
      // A whole resource's read-only attributes (Okta repeats the id) are ignored, as in a PUT.
      if (READ_ONLY_ATTRIBUTES.has(attribute.toLowerCase())) return [];
      return [{ op, path: normalizePath(attribute), value }];
    });
  });
}

/**
 * The enterprise extension named whole (its URN as the path, or as a key of a no-path value):
 * one operation per attribute; removing it removes every attribute it has.
 */
function extensionOperations(op: PatchOperation['op'], value: unknown): PatchOperation[] {
  if (op === 'remove') {
    return ENTERPRISE_ATTRIBUTES.map((a) => ({ op, path: `${ENTERPRISE_SCHEMA}:${a.name}` }));
  }
  if (!isObject(value)) throw invalidValue(`${ENTERPRISE_SCHEMA} must be an object`);
  return Object.entries(value).map(([sub, inner]) => ({
    op,
    path: normalizePath(`${ENTERPRISE_SCHEMA}:${sub}`),
    value: inner,
  }));
}

/**
 * Canonical attribute names in a path; the core schema URN prefix dropped; the enterprise
 * one kept in its canonical spelling. `emails[type eq "work"].value` keeps its filter.
 */
export function normalizePath(path: string): string {
  const lower = path.toLowerCase();
  const core = `${USER_SCHEMA.toLowerCase()}:`;
  const enterprise = `${ENTERPRISE_SCHEMA.toLowerCase()}:`;
  if (lower.startsWith(core)) return normalizePath(path.slice(core.length));
  if (lower.startsWith(enterprise)) {
    return `${ENTERPRISE_SCHEMA}:${normalizePath(path.slice(enterprise.length))}`;
  }
  const match = /^([^.[\]]+)(\[[^\]]*\])?(?:\.(.+))?$/.exec(path);
  if (!match) return path;
  const [, attribute, filter, sub] = match;
  const filterPart = filter
    ? filter
        .replace(
          /([A-Za-z$][\w$]*)\s+(eq|ne|co|sw|ew|gt|lt|ge|le|pr)\b/gi,
          (_: string, name: string, op: string) => `${canonicalName(name)} ${op.toLowerCase()}`,
        )
        .replace(/\s(and|or)\s/gi, (_: string, word: string) => ` ${word.toLowerCase()} `)
    : '';
  return `${canonicalName(attribute)}${filterPart}${sub ? `.${normalizePath(sub)}` : ''}`;
}

/** Values IdPs send in a shape of their own, made what the schema says. */
export function normalizeUserValue(operation: PatchOperation): PatchOperation {
  const path = operation.path ?? '';
  if (path === 'active' && operation.value !== undefined) {
    return { ...operation, value: toBoolean(operation.value, 'active') };
  }
  if (path === `${ENTERPRISE_SCHEMA}:manager` && typeof operation.value === 'string') {
    return { ...operation, value: { value: operation.value } };
  }
  if (isObject(operation.value) || Array.isArray(operation.value)) {
    return { ...operation, value: canonicalKeys(operation.value) };
  }
  return operation;
}
