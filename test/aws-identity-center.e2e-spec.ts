import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AwsIdentityCenterProvider } from '../src/directory/providers/aws-identity-center.provider.js';
import { classifyAddress } from '../src/directory/network-policy.js';
import { ProviderError } from '../src/directory/providers/directory-provider.js';
import {
  awsUser,
  FakeIdentityStore,
  type IdentityStoreUserJson,
} from './fakes/fake-identitystore.js';
import { ANY_TIMINGS, NO_GROUP_CHANGES, providerHarness } from './support/provider-harness.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

let t: TestApp;
let aws: FakeIdentityStore;
let acme: TestCompany;

const users = (from: number, to: number, overrides: Partial<IdentityStoreUserJson> = {}) =>
  Array.from({ length: to - from }, (_, i) => awsUser(from + i, overrides));

const {
  createConnection: createAwsConnection,
  sync,
  syncError,
  employee,
  connection,
  testConnection,
} = providerHarness({
  app: () => t,
  company: () => acme,
  connection: {
    name: 'AWS',
    type: 'aws-identity-center',
    deprovisionThresholdPercent: 20,
    config: () => ({
      region: aws.region,
      identityStoreId: aws.identityStoreId,
      accessKeyId: aws.accessKeyId,
      secretAccessKey: aws.secretAccessKey,
      endpoint: aws.url,
    }),
  },
});

beforeAll(async () => {
  t = await startTestApp({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true', PROVIDER_RETRY_BASE_MS: '1' });
  aws = new FakeIdentityStore();
  await aws.start();
  acme = await createCompany(t, 'Acme');
});
afterAll(async () => {
  await aws.stop();
  await t.close();
});
beforeEach(() => {
  aws.faults = [];
  aws.pageFaults.clear();
  aws.requests.length = 0;
});

describe('a sync streams the identity store into the roster', () => {
  let id: string;
  beforeAll(async () => {
    aws.setUsers(users(0, 450));
    id = await createAwsConnection();
  });

  it('creates everyone on the first run, following NextToken over 5 pages of 100', async () => {
    const stats = await sync(id);
    expect(stats).toEqual({
      fetched: 450,
      created: 450,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      skipped: 0,
      mode: 'full',
      modeReason: expect.any(String),
      ...NO_GROUP_CHANGES,
      ...ANY_TIMINGS,
    });
    expect(aws.requests).toHaveLength(5);
    for (const [i, request] of aws.requests.entries()) {
      expect(request).toMatchObject({
        target: 'AWSIdentityStore.ListUsers',
        contentType: 'application/x-amz-json-1.1',
        accessKeyId: aws.accessKeyId,
        body: {
          IdentityStoreId: aws.identityStoreId,
          MaxResults: 100,
          Extensions: ['aws:identitystore:enterprise'],
        },
      });
      expect(request.body.NextToken === undefined).toBe(i === 0);
    }
    expect(await employee('user7@acme.example')).toMatchObject({
      email: 'user7@acme.example',
      firstName: 'First7',
      lastName: 'Last7',
      department: 'Dept7',
      title: 'Engineer',
      active: true,
      connectionId: id,
      externalId: awsUser(7).UserId,
      deactivatedAt: null,
    });
    expect(await connection(id)).toMatchObject({
      status: 'ACTIVE',
      lastSyncCount: 450,
      lastError: null,
    });
  });

  it('changes nothing on a re-sync, then updates what changed', async () => {
    expect(await sync(id)).toMatchObject({ fetched: 450, created: 0, updated: 0, unchanged: 450 });

    const changed = users(0, 450);
    changed[1] = awsUser(1, { Title: 'Staff Engineer' });
    changed[2] = awsUser(2, { department: 'Platform' });
    changed[3] = awsUser(3, { department: undefined }); // no extension: keep ours
    aws.setUsers(changed);
    expect(await sync(id)).toMatchObject({ created: 0, updated: 2, unchanged: 448 });
    expect(await employee('user1@acme.example')).toMatchObject({ title: 'Staff Engineer' });
    expect(await employee('user2@acme.example')).toMatchObject({ department: 'Platform' });
    expect(await employee('user3@acme.example')).toMatchObject({ department: 'Dept3' });
  });

  it('deactivates users removed from the store, and DISABLED ones', async () => {
    const remaining = users(0, 440);
    remaining[2] = awsUser(2, { department: 'Platform' });
    remaining[5] = awsUser(5, { UserStatus: 'DISABLED' });
    aws.setUsers(remaining);
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 440, deactivated: 11 });
    expect(await employee('user445@acme.example')).toMatchObject({
      active: false,
      deactivatedAt: expect.any(String),
    });
    expect(await employee('user5@acme.example')).toMatchObject({ active: false });

    aws.setUsers(users(0, 450, { UserStatus: 'ENABLED' }));
    expect(await sync(id)).toMatchObject({ deactivated: 0, created: 0 });
    expect(await employee('user445@acme.example')).toMatchObject({ active: true });
  });

  it('takes the primary email over the first one, and the first when none is primary', async () => {
    aws.setUsers([
      awsUser(900, {
        Emails: [
          { Value: 'old900@acme.example', Type: 'home', Primary: false },
          { Value: 'Primary900@Acme.example', Type: 'work', Primary: true },
        ],
      }),
      awsUser(901, {
        Emails: [
          { Value: 'first901@acme.example', Type: 'work' },
          { Value: 'second901@acme.example', Type: 'home' },
        ],
      }),
      awsUser(902, { Emails: [] }),
      ...users(0, 450),
    ]);
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 453, created: 2, skipped: 1 });
    expect(await employee('primary900@acme.example')).toMatchObject({
      externalId: awsUser(900).UserId,
    });
    expect(await employee('old900@acme.example')).toBeUndefined();
    expect(await employee('first901@acme.example')).toMatchObject({ firstName: 'First901' });
  });
});

describe('AWS failures', () => {
  let id: string;
  beforeAll(async () => {
    aws.setUsers(users(2000, 2250));
    id = await createAwsConnection();
    await sync(id);
  });

  it('retries a throttled page after its Retry-After, then goes on', async () => {
    aws.pageFaults.set(1, { error: 'ThrottlingException', retryAfterSeconds: 0 });
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 250, unchanged: 250 });
    const tokens = aws.requests.map((r) => r.body.NextToken);
    expect(aws.requests).toHaveLength(4);
    expect(tokens[1]).toBeDefined();
    expect(tokens[2]).toBe(tokens[1]); // the same page again
  });

  it('does not wait in place for a Retry-After longer than the limit, and passes it on', async () => {
    aws.faults.push({ error: 'ThrottlingException', retryAfterSeconds: 120 });
    const error = await syncError(id);
    expect(error.kind).toBe('transient');
    expect(error.retryAfterMs).toBe(120_000);
    expect(aws.requests).toHaveLength(1);
  });

  it('retries a 500 (InternalServerException) and an unreadable answer', async () => {
    aws.pageFaults.set(0, { error: 'InternalServerException' });
    aws.pageFaults.set(2, { status: 200, rawBody: '{"Users": [' });
    expect(await sync(id)).toMatchObject({ fetched: 250 });
    expect(aws.requests).toHaveLength(5);
  });

  it('gives up on throttling that does not stop, as a retryable error', async () => {
    for (let i = 0; i < 10; i++) aws.faults.push({ error: 'ThrottlingException' });
    const error = await syncError(id);
    expect(error.kind).toBe('transient');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(
      'AWS Identity Center is throttling requests (ThrottlingException): Rate exceeded',
    );
    expect(aws.requests).toHaveLength(4); // 1 + PROVIDER_MAX_RETRIES (3)
    expect(await connection(id)).toMatchObject({
      status: 'ERROR',
      lastError: expect.stringMatching(/ThrottlingException/),
    });
  });

  it('classifies an unknown access key as auth, not retryable, without retrying', async () => {
    const other = await createAwsConnection({ accessKeyId: 'AKIAUNKNOWNKEY000001' });
    const error = await syncError(other);
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'AWS rejected the access key (UnrecognizedClientException): ' +
        'The security token included in the request is invalid.',
    );
    expect(aws.requests).toHaveLength(1);
    expect(JSON.stringify(await connection(other))).not.toContain(aws.secretAccessKey);
  });

  it('classifies a wrong secret (bad signature) and AccessDenied as auth', async () => {
    const wrongSecret = await createAwsConnection({ secretAccessKey: 'not-the-secret' });
    const signature = await syncError(wrongSecret);
    expect(signature.kind).toBe('auth');
    expect(signature.message).toMatch(
      /^AWS rejected the secret access key \(InvalidSignatureException\)/,
    );

    aws.faults.push({ error: 'AccessDeniedException' });
    const denied = await syncError(id);
    expect(denied.kind).toBe('auth');
    expect(denied.message).toMatch(/needs identitystore:ListUsers .*\(AccessDeniedException\)/);
  });

  it('classifies an unknown identity store as a config error', async () => {
    const wrongStore = await createAwsConnection({ identityStoreId: 'd-0000000000' });
    const error = await syncError(wrongStore);
    expect(error.kind).toBe('config');
    expect(error.message).toMatch(
      /no identity store d-0000000000 in eu-west-1 \(ResourceNotFoundException\)/,
    );
  });

  it('reports an endpoint that cannot be reached as transient', async () => {
    const closed = await createAwsConnection({ endpoint: 'http://127.0.0.1:9' });
    const error = await syncError(closed);
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/could not be reached \(ECONNREFUSED\)/);
  });
});

describe('POST /api/directory/:id/test', () => {
  it('answers ok with the first page count, or a message a person can act on', async () => {
    aws.setUsers(users(0, 450));
    const id = await createAwsConnection();
    expect(await testConnection(id)).toEqual({ ok: true, userCount: 100, groupCount: 0 });
    expect(aws.requests).toHaveLength(1);

    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({ config: { accessKeyId: 'AKIAUNKNOWNKEY000002' } })
      .expect(200);
    expect(await testConnection(id)).toEqual({
      ok: false,
      error:
        'AWS rejected the access key (UnrecognizedClientException): ' +
        'The security token included in the request is invalid.',
    });
  });
});

describe('the network policy', () => {
  const options = {
    allowPrivateNetworks: false,
    timeoutMs: 5000,
    retryBaseMs: 1,
    maxRetries: 0,
    maxRateLimitWaitMs: 1000,
  };

  it('refuses a loopback or plain-http endpoint before any call', async () => {
    const provider = new AwsIdentityCenterProvider(options);
    const error = await provider
      .test(
        {
          region: aws.region,
          identityStoreId: aws.identityStoreId,
          accessKeyId: aws.accessKeyId,
          secretAccessKey: aws.secretAccessKey,
          endpoint: aws.url,
        },
        new AbortController().signal,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('config');
    expect((error as Error).message).toMatch(/^AWS Identity Center endpoint must use https/);
    expect(aws.requests).toHaveLength(0);
  });

  it('refuses a host name that resolves to a private address, on the address it connects to', async () => {
    // This machine's own name resolves to a loopback or private address almost everywhere.
    const host = hostname();
    const address = await lookup(host).catch(() => undefined);
    if (!address || classifyAddress(address.address) !== 'private') {
      console.warn(`skipped: ${host} does not resolve to a private address here`);
      return;
    }
    const provider = new AwsIdentityCenterProvider({ ...options, maxRetries: 2 });
    const error = await provider
      .test(
        {
          region: aws.region,
          identityStoreId: aws.identityStoreId,
          accessKeyId: aws.accessKeyId,
          secretAccessKey: aws.secretAccessKey,
          endpoint: `https://${host}`,
        },
        new AbortController().signal,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('config');
    expect((error as Error).message).toMatch(/a loopback or private address/);
  });
});
