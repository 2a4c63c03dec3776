import { describe, expect, it } from '@jest/globals';
import { printable } from '../printable.js';
import { findInputProblems } from './input-problems.js';
import { jsonNestingExceeds } from './json-nesting.js';
import { urlProblem } from './url-problems.js';

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonNestingExceeds', () => {
  it('counts arrays and objects opened inside each other', () => {
    expect(jsonNestingExceeds(Buffer.from(nested(32)), 32)).toBe(false);
    expect(jsonNestingExceeds(Buffer.from(nested(33)), 32)).toBe(true);
    expect(jsonNestingExceeds(Buffer.from(nested(20_000)), 32)).toBe(true);
    const objects = '{"a":'.repeat(33) + '1' + '}'.repeat(33);
    expect(jsonNestingExceeds(Buffer.from(objects), 32)).toBe(true);
  });

  it('counts depth, not how many arrays a body has', () => {
    const wide = `[${Array.from({ length: 1000 }, () => '[[1]]').join(',')}]`;
    expect(jsonNestingExceeds(Buffer.from(wide), 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const body = JSON.stringify({ a: '[[[[[[', b: '\\"[[[[[[', c: ['"{{{{'] });
    expect(jsonNestingExceeds(Buffer.from(body), 2)).toBe(false);
  });
});

describe('findInputProblems', () => {
  it('names each string with NUL or an unpaired surrogate by its path', () => {
    expect(
      findInputProblems({
        name: 'a\u0000b',
        config: { orgUrl: 'x\ud800' },
        Operations: [{ op: 'replace', value: { displayName: '\u0000' } }],
        fine: 'emoji \u{1F600} and text',
      }),
    ).toEqual([
      { field: 'name', message: 'name must not contain NUL characters' },
      {
        field: 'config.orgUrl',
        message: 'config.orgUrl must not contain unpaired UTF-16 surrogates',
      },
      {
        field: 'Operations.0.value.displayName',
        message: 'Operations.0.value.displayName must not contain NUL characters',
      },
    ]);
  });

  it('refuses keys that are Object.prototype members, and bad keys', () => {
    expect(findInputProblems({ constructor: { prototype: { x: 1 } }, a: { toString: 1 } })).toEqual(
      [
        { field: 'constructor', message: 'constructor is not an allowed field' },
        { field: 'a.toString', message: 'a.toString is not an allowed field' },
      ],
    );
    expect(findInputProblems(JSON.parse('{"__proto__": {"x": 1}}'))).toEqual([
      { field: '__proto__', message: '__proto__ is not an allowed field' },
    ]);
    expect(findInputProblems({ 'a\u0000': 1 })).toEqual([
      { field: 'a\u0000', message: 'a\u0000 must not contain NUL characters' },
    ]);
  });

  it('reads query objects (string arrays) and stops at ten problems', () => {
    expect(findInputProblems({ email: ['a', 'b\u0000'] })).toEqual([
      { field: 'email.1', message: 'email.1 must not contain NUL characters' },
    ]);
    expect(findInputProblems(Array.from({ length: 50 }, () => '\u0000'))).toHaveLength(10);
    expect(findInputProblems(undefined)).toEqual([]);
  });
});

describe('urlProblem', () => {
  it.each([
    ['/api/directory/abc?limit=5', undefined],
    ['/api/employees?email=%C3%A9%20x&cursor=%%%', undefined],
    ['/api/directory/a%00b', 'the URL path must not contain NUL characters (%00)'],
    ['/api/directory/%ff', 'the URL path is not valid UTF-8 once percent-decoded'],
    ['/api/directory/%ED%A0%80', 'the URL path is not valid UTF-8 once percent-decoded'],
    ['/api/directory/%zz', 'the URL path has a malformed percent-escape'],
    ['/api/employees?email=%ff', 'the query string is not valid UTF-8 once percent-decoded'],
  ])('%s', (url, problem) => {
    expect(urlProblem(url)).toBe(problem);
  });
});

describe('printable', () => {
  it('shows control characters, separators and bidi overrides as \\uXXXX', () => {
    expect(printable('a\u0000b\u0007\u001b[31m\u007f\u0085\u2028\u202e é ✓')).toBe(
      'a\\u0000b\\u0007\\u001B[31m\\u007F\\u0085\\u2028\\u202E é ✓',
    );
  });
});
