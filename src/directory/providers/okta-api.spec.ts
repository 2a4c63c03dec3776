import { describe, expect, it } from '@jest/globals';
import { nextLink } from './okta-api.js';

describe('nextLink', () => {
  it('finds rel="next" among several links, exactly as given', () => {
    const header =
      '<https://acme.okta.com/api/v1/users?limit=200>; rel="self", ' +
      '<https://acme.okta.com/api/v1/users?after=00u1%2C2&limit=200>; rel="next"';
    expect(nextLink(header)).toBe('https://acme.okta.com/api/v1/users?after=00u1%2C2&limit=200');
  });

  it('accepts separate header values and unquoted or multi-valued rel', () => {
    expect(nextLink(['<https://a/x>; rel=self', '<https://a/y>; rel=next'])).toBe('https://a/y');
    expect(nextLink('<https://a/z>; rel="prev next"')).toBe('https://a/z');
  });

  it('finds nothing on the last page', () => {
    expect(nextLink('<https://a/x>; rel="self"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });
});
