import type { FieldError } from '../validation.js';

/**
 * What the edge refuses inside a parsed request (JSON body, query parameters), whatever the
 * route: text Postgres cannot store or that is not Unicode, and keys that class-transformer
 * would drop before validation sees them.
 */

/** With the `u` flag a surrogate class matches only a surrogate that is not half of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/** NUL (Postgres text cannot hold it) or an unpaired UTF-16 surrogate (`"\ud800"` in JSON). */
export function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must not contain unpaired UTF-16 surrogates';
  return undefined;
}

/**
 * `constructor`, `toString`, `__proto__`…: class-transformer skips a key that names a member
 * of the DTO's prototype, so `whitelist` never sees it and `{"constructor": …}` would pass as
 * "no unknown fields". No field of the API (SCIM's included) has such a name.
 */
const PROTOTYPE_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Enough to say what is wrong without answering with a list as long as the body. */
const MAX_PROBLEMS = 10;

/**
 * Every refused key or string in `value` (a parsed JSON body or query object), with its
 * dotted path (`config.orgUrl`, `Operations.0.value`). Recursive: the JSON parser has already
 * refused bodies nested deeper than the edge's limit.
 */
export function findInputProblems(value: unknown): FieldError[] {
  const problems: FieldError[] = [];
  const visit = (node: unknown, path: string): void => {
    if (problems.length >= MAX_PROBLEMS) return;
    if (typeof node === 'string') {
      const problem = textProblem(node);
      if (problem) problems.push({ field: path, message: `${path} ${problem}` });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      const field = path ? `${path}.${key}` : key;
      const keyProblem = textProblem(key);
      if (keyProblem) problems.push({ field, message: `${field} ${keyProblem}` });
      else if (PROTOTYPE_MEMBERS.has(key)) {
        problems.push({ field, message: `${field} is not an allowed field` });
      } else visit(child, field);
    }
  };
  visit(value, '');
  return problems.slice(0, MAX_PROBLEMS);
}
