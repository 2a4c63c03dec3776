import { parse, type Filter } from 'scim2-parse-filter';
import { invalidFilter } from './scim-error.js';
import { ENTERPRISE_SCHEMA, USER_SCHEMA } from './scim-schemas.js';

/** How a filterable attribute reads in SQL. */
export interface FilterColumn {
  sql: string;
  kind: 'text' | 'exact' | 'boolean' | 'date' | 'uuid';
}

/** Filterable attributes by lower-cased path (core URN prefix already dropped). */
export type FilterColumns = Record<string, FilterColumn>;

/**
 * A SCIM filter as a SQL condition with numbered parameters appended to `params`. Parsing is
 * scim2-parse-filter's; we map attribute names case-insensitively onto columns and refuse
 * what we cannot answer (400 invalidFilter) instead of answering wrongly.
 */
export function filterToSql(filter: string, columns: FilterColumns, params: unknown[]): string {
  let ast: Filter;
  try {
    // Operators are case-insensitive in SCIM; the parser only knows them in lower case.
    ast = parse(lowerOperators(filter));
  } catch (error) {
    throw invalidFilter(`the filter cannot be parsed: ${(error as Error).message}`);
  }
  return toSql(ast, columns, params, '');
}

function lowerOperators(filter: string): string {
  // Outside of quoted strings only.
  return filter.replace(
    /("(?:[^"\\]|\\.)*")|\b(eq|ne|co|sw|ew|gt|lt|ge|le|pr|and|or|not)\b/gi,
    (m: string, quoted?: string) => (quoted ? m : m.toLowerCase()),
  );
}

function column(columns: FilterColumns, prefix: string, attrPath: string): FilterColumn {
  let path = `${prefix}${attrPath}`.toLowerCase();
  const core = `${USER_SCHEMA.toLowerCase()}:`;
  if (path.startsWith(core)) path = path.slice(core.length);
  const enterprise = `${ENTERPRISE_SCHEMA.toLowerCase()}:`;
  if (path.startsWith(enterprise)) path = `enterprise:${path.slice(enterprise.length)}`;
  const found = columns[path];
  if (!found) throw invalidFilter(`filtering on "${attrPath}" is not supported`);
  return found;
}

function toSql(node: Filter, columns: FilterColumns, params: unknown[], prefix: string): string {
  switch (node.op) {
    case 'and':
    case 'or': {
      const parts = node.filters.map((f) => toSql(f, columns, params, prefix));
      return `(${parts.join(node.op === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `NOT (${toSql(node.filter, columns, params, prefix)})`;
    case '[]':
      return toSql(node.valFilter, columns, params, `${prefix}${node.attrPath}.`);
    case 'pr': {
      const col = column(columns, prefix, node.attrPath);
      return col.kind === 'text' || col.kind === 'exact'
        ? `(${col.sql} IS NOT NULL AND ${col.sql} <> '')`
        : `(${col.sql} IS NOT NULL)`;
    }
    default:
      return compare(node.op, column(columns, prefix, node.attrPath), node.compValue, params);
  }
}

function compare(
  op: string,
  col: FilterColumn,
  value: boolean | null | number | string,
  params: unknown[],
): string {
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (value === null) {
    if (op === 'eq') return `(${col.sql} IS NULL)`;
    if (op === 'ne') return `(${col.sql} IS NOT NULL)`;
    throw invalidFilter(`"${op} null" is not supported`);
  }
  if (col.kind === 'boolean') {
    const bool =
      typeof value === 'boolean'
        ? value
        : typeof value === 'string' && /^(true|false)$/i.test(value)
          ? value.toLowerCase() === 'true'
          : undefined;
    if (bool === undefined || (op !== 'eq' && op !== 'ne')) {
      throw invalidFilter('a boolean attribute is compared with eq or ne and true or false');
    }
    return `(${col.sql} ${op === 'eq' ? '=' : 'IS DISTINCT FROM'} ${param(bool)})`;
  }
  if (typeof value !== 'string') throw invalidFilter('this attribute is compared with a string');
  if (col.kind === 'date') {
    if (Number.isNaN(Date.parse(value))) throw invalidFilter(`"${value}" is not a date`);
    const sqlOp = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op];
    if (!sqlOp) throw invalidFilter(`${op} is not supported on dates`);
    return `(${col.sql} ${sqlOp} ${param(value)}::timestamptz)`;
  }
  if (col.kind === 'uuid') {
    if (op !== 'eq' && op !== 'ne') throw invalidFilter(`${op} is not supported on ids`);
    return `(${col.sql}::text ${op === 'eq' ? '=' : '<>'} ${param(value.toLowerCase())})`;
  }
  // caseExact false (most strings): compare lower-cased; externalId compares exactly.
  const ci = col.kind === 'text';
  const left = ci ? `lower(${col.sql})` : col.sql;
  const right = param(ci ? value.toLowerCase() : value);
  switch (op) {
    case 'eq':
      return `(${left} = ${right})`;
    case 'ne':
      return `(${left} IS DISTINCT FROM ${right})`;
    case 'co':
      return `(strpos(${left}, ${right}) > 0)`;
    case 'sw':
      return `starts_with(${left}, ${right})`;
    case 'ew':
      return `(right(${left}, length(${right})) = ${right})`;
    case 'gt':
      return `(${left} > ${right})`;
    case 'ge':
      return `(${left} >= ${right})`;
    case 'lt':
      return `(${left} < ${right})`;
    case 'le':
      return `(${left} <= ${right})`;
    default:
      throw invalidFilter(`unsupported operator "${op}"`);
  }
}
