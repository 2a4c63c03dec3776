import { describe, expect, it } from '@jest/globals';
import type { EntraIdConfig } from '../dto/provider-configs.js';
import { ProviderError } from './directory-provider.js';
import { EntraIdProvider, tokenError } from './entra-id.provider.js';
import { toDirectoryUser } from './entra-graph.js';
import type { JsonRequest, ProviderHttpClient } from './provider-http-client.js';

const config: EntraIdConfig = {
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '11111111-2222-3333-4444-555555555555',
  clientSecret: 'secret',
};

describe('toDirectoryUser', () => {
  it('reads mail, names, department and title, and accountEnabled', () => {
    expect(
      toDirectoryUser({
        id: 'abc',
        mail: 'Ada@Contoso.com',
        userPrincipalName: 'ada@contoso.onmicrosoft.com',
        givenName: 'Ada',
        surname: 'Lovelace',
        department: 'R&D',
        jobTitle: null,
        accountEnabled: false,
      }),
    ).toEqual({
      externalId: 'abc',
      email: 'Ada@Contoso.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      department: 'R&D',
      title: '',
      active: false,
    });
  });

  it('falls back to the UPN when it is an address, never to a guest #EXT# UPN', () => {
    expect(toDirectoryUser({ id: 'a', mail: null, userPrincipalName: 'a@b.com' }).email).toBe(
      'a@b.com',
    );
    expect(toDirectoryUser({ id: 'a', mail: ' ', userPrincipalName: 'a@b.com' }).email).toBe(
      'a@b.com',
    );
    expect(
      toDirectoryUser({ id: 'a', mail: null, userPrincipalName: 'a_x.com#EXT#@t.onmicrosoft.com' })
        .email,
    ).toBeUndefined();
    expect(toDirectoryUser({ id: 'a', userPrincipalName: 'no-at-sign' }).email).toBeUndefined();
  });

  it('leaves absent fields unsent and treats a missing accountEnabled as enabled', () => {
    const user = toDirectoryUser({ id: 'a', mail: 'a@b.com' });
    expect(user.department).toBeUndefined();
    expect(user.title).toBeUndefined();
    expect(user.active).toBe(true);
  });
});

describe('tokenError', () => {
  const refused = (message: string, kind: 'auth' | 'config' = 'auth') =>
    tokenError(new ProviderError(kind, message), config);

  it('turns Azure AD codes into messages an admin can act on', () => {
    expect(
      refused('Entra ID refused the credentials (401): AADSTS7000215: Invalid client secret'),
    ).toMatchObject({
      kind: 'auth',
      message: 'Entra ID rejected the client secret (invalid_client)',
    });
    expect(refused('Entra ID refused the credentials (401): invalid_client')).toMatchObject({
      kind: 'auth',
      message: 'Entra ID rejected the client secret (invalid_client)',
    });
    expect(refused('… AADSTS7000222: The provided client secret keys are expired').message).toMatch(
      /expired/,
    );
    expect(refused('Entra ID answered 400: AADSTS700016: Application …', 'config')).toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/unauthorized_client/),
    });
    expect(
      refused("Entra ID answered 400: AADSTS90002: Tenant 'x' not found", 'config'),
    ).toMatchObject({
      kind: 'config',
      message: expect.stringMatching(/tenant contoso\.onmicrosoft\.com/),
    });
  });

  it('keeps anything else as the shared client classified it', () => {
    const other = new ProviderError('transient', 'Entra ID answered 503');
    expect(tokenError(other, config)).toBe(other);
  });
});

describe('the token cache', () => {
  it('keeps a token until 60 s before it expires, per app and secret', async () => {
    let now = 0;
    const calls: string[] = [];
    const http = {
      json: (url: string, init: JsonRequest) => {
        calls.push(url);
        if (url.endsWith('/token')) {
          const secret = new URLSearchParams(init.body).get('client_secret');
          return Promise.resolve({
            status: 200,
            headers: {},
            body: { access_token: `t-${secret}-${calls.length}`, expires_in: 3600 },
          });
        }
        return Promise.resolve({ status: 200, headers: {}, body: { value: [] } });
      },
    } as unknown as ProviderHttpClient;
    const provider = new EntraIdProvider(http, () => now);
    const signal = new AbortController().signal;
    const tokens = () => calls.filter((url) => url.endsWith('/token')).length;

    await provider.test({ ...config }, signal);
    expect(calls[0]).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    );
    expect(calls[1]).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\/users\?\$select=id,/);
    now = 3_539_000;
    await provider.test({ ...config }, signal);
    expect(tokens()).toBe(1);
    await provider.test({ ...config, clientSecret: 'rotated' }, signal);
    expect(tokens()).toBe(2);
    now = 3_540_000;
    await provider.test({ ...config }, signal);
    expect(tokens()).toBe(3);
  });
});
