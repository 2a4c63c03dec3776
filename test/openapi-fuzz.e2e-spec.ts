import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { ParameterObject, SchemaObject } from '@nestjs/swagger';
import fc from 'fast-check';
import { anyJson, anyString, SchemaArbitraries } from './support/openapi-arbitraries.js';
import {
  contractOf,
  type Answer,
  type OpenApiContract,
  type Operation,
} from './support/openapi-contract.js';
import {
  bearer,
  createCompany,
  createKey,
  PLATFORM_TOKEN,
  startTestApp,
  type TestApp,
} from './support/test-app.js';

/**
 * Property-based tests of the whole API from its own OpenAPI document: for every operation,
 * fast-check generates requests from the document's schemas — valid ones, and ones with one
 * thing broken on purpose (a credential, an id, a query parameter, the body) — sends them to
 * the real service, and checks that the answer is never a 5xx, that its status, media type
 * and body are what the document declares (ajv), and that another company's ids are never
 * answered with a 2xx.
 *
 * FUZZ_TIME_MS bounds the whole run (default 30 s), FUZZ_SEED replays one (the seed and the
 * failing request are printed), FUZZ_OPS=<regex> runs only the operations it matches.
 */

const TIME_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_110_611);
const ONLY = process.env.FUZZ_OPS ? new RegExp(process.env.FUZZ_OPS) : undefined;

type Credential = 'valid' | 'viewer' | 'foreign' | 'none' | 'garbage';
/** An id by its position in a pool (resolved when sent: pools grow), or a literal value. */
type Pick = { pool: 'own' | 'foreign'; index: number } | { literal: string };

interface Plan {
  credential: Credential;
  path: Record<string, Pick>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: { contentType: string; text: string };
  /** What is broken on purpose, if anything. */
  broken?: string;
}

interface KnownDefect {
  /** The branch that fixes it; the merge removes the entry. */
  owner: string;
  what: string;
  matches(op: Operation, plan: Plan): boolean;
}

/**
 * Defects found by this test in areas other branches own. The generators do not produce
 * these exact inputs so that this branch is green alone; the merge empties the list.
 */
const KNOWN_DEFECTS: KnownDefect[] = [];

/** Which pool of fixture ids a path parameter draws from, by the path up to it. */
const ID_POOLS: Record<string, string> = {
  '/api/api-keys/{id}': 'apiKey',
  '/api/directory/{id}': 'connection',
  '/api/sync-jobs/{id}': 'job',
  // A SCIM user is an employee, a SCIM group a group: the same ids.
  '/api/employees/{id}': 'scimUser',
  '/api/groups/{id}': 'scimGroup',
  '/scim/v2/{connectionId}': 'scimConnection',
  '/scim/v2/{connectionId}/Users/{id}': 'scimUser',
  '/scim/v2/{connectionId}/Groups/{id}': 'scimGroup',
  '/api/webhooks/{id}': 'webhook',
  '/api/webhooks/{id}/deliveries/{deliveryId}': 'delivery',
};

/**
 * The connection test calls the provider: it only ever gets connections whose every URL is
 * a closed loopback port (refused by the network policy of the fuzzed app before any
 * connection), never one that a fuzzed PATCH may have pointed somewhere real.
 */
const PROBE_PATH = '/api/directory/{id}/test';
const NOWHERE = 'https://127.0.0.1:1';
const PROBE_CONFIGS: Record<string, Record<string, unknown>> = {
  okta: { orgUrl: NOWHERE, apiToken: 'token' },
  'entra-id': {
    tenantId: 'acme.onmicrosoft.com',
    clientId: 'client',
    clientSecret: 'secret',
    authorityHost: NOWHERE,
    graphBaseUrl: NOWHERE,
  },
  'google-workspace': {
    serviceAccountEmail: 'sync@acme.iam.gserviceaccount.com',
    privateKey: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
    delegatedAdminEmail: 'admin@acme.test',
    tokenUrl: NOWHERE,
    baseUrl: NOWHERE,
  },
  ldap: { url: 'ldaps://127.0.0.1:1', bindDN: 'cn=sync', bindPassword: 'pw', baseDN: 'dc=acme' },
  'aws-identity-center': {
    region: 'eu-west-1',
    identityStoreId: 'd-1234567890',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'secret',
    endpoint: NOWHERE,
  },
  scim: {},
};

function poolOf(op: Operation, param: string): string | undefined {
  if (op.path === PROBE_PATH) return 'probe';
  const prefix = op.path.slice(0, op.path.indexOf(`{${param}}`) + param.length + 2);
  return ID_POOLS[prefix];
}

interface Company {
  adminKey: string;
  viewerKey: string;
  scimToken: string;
  pools: Record<string, string[]>;
}

/** A company with ids in every pool: connections of each kind, keys, jobs, SCIM users and groups. */
async function seedCompany(seeder: TestApp, name: string): Promise<Company> {
  const company = await createCompany(seeder, name);
  const auth = bearer(company.adminKey);
  const viewer = await createKey(seeder, company.adminKey, 'viewer');
  const pools: Record<string, string[]> = { connection: [], probe: [], job: [] };
  pools.apiKey = [
    (await createKey(seeder, company.adminKey, 'viewer')).id,
    (await createKey(seeder, company.adminKey, 'admin')).id,
  ];
  const connect = async (type: string, body: object = {}) =>
    (
      await seeder
        .http()
        .post('/api/directory')
        .set(auth)
        .send({ name: `${type} fixture`, type, config: PROBE_CONFIGS[type], ...body })
        .expect(201)
    ).body as { id: string; scimToken?: string };
  for (const type of Object.keys(PROBE_CONFIGS)) {
    pools.probe.push((await connect(type)).id);
    pools.connection.push((await connect(type, { syncIntervalMinutes: null })).id);
  }
  const [pull] = pools.connection;
  const trigger = async () =>
    (
      (await seeder.http().post(`/api/directory/${pull}/sync`).set(auth).expect(202)).body as {
        jobId: string;
      }
    ).jobId;
  const cancelled = await trigger();
  await seeder.http().post(`/api/sync-jobs/${cancelled}/cancel`).set(auth).expect(200);
  pools.job.push(cancelled, await trigger());

  const scim = await connect('scim');
  pools.scimConnection = [scim.id];
  const push = async (resource: string, body: object) =>
    (
      await seeder
        .http()
        .post(`/scim/v2/${scim.id}/${resource}`)
        .set(bearer(scim.scimToken!))
        .send(body)
        .expect(201)
    ).body as { id: string };
  pools.scimUser = [];
  for (const user of ['ann', 'bob']) {
    pools.scimUser.push((await push('Users', { userName: `${user}@${name}.test` })).id);
  }
  pools.scimGroup = [
    (await push('Groups', { displayName: 'Sales', members: [{ value: pools.scimUser[0] }] })).id,
  ];
  // An endpoint nobody listens at (no worker runs here), with a delivery of a test event.
  const webhook = (
    await seeder.http().post('/api/webhooks').set(auth).send({ url: NOWHERE }).expect(201)
  ).body as { id: string };
  pools.webhook = [webhook.id];
  const test = await seeder.http().post(`/api/webhooks/${webhook.id}/test`).set(auth).expect(202);
  pools.delivery = [(test.body as { deliveryId: string }).deliveryId];
  return { adminKey: company.adminKey, viewerKey: viewer.key, scimToken: scim.scimToken!, pools };
}

/** Query values as a client writes them in a URL. */
const toQueryValue = (value: unknown) =>
  typeof value === 'string' ? value : JSON.stringify(value);

function planArbitrary(op: Operation, arbitraries: SchemaArbitraries): fc.Arbitrary<Plan> {
  const params = (where: string) => op.parameters.filter((p: ParameterObject) => p.in === where);
  const schemaOf = (p: ParameterObject) => p.schema as SchemaObject;
  const pick = (p: ParameterObject): fc.Arbitrary<Pick> => {
    if (poolOf(op, p.name)) return fc.nat().map((index) => ({ pool: 'own' as const, index }));
    if (schemaOf(p).format === 'uuid') {
      throw new Error(`${op.name}: add a pool for {${p.name}} to ID_POOLS`);
    }
    return arbitraries.valid(schemaOf(p)).map((value) => ({ literal: String(value) }));
  };
  const record = <T>(list: ParameterObject[], arbitrary: (p: ParameterObject) => fc.Arbitrary<T>) =>
    fc.record(Object.fromEntries(list.map((p) => [p.name, arbitrary(p)])), {
      requiredKeys: list.filter((p) => p.required).map((p) => p.name),
    }) as fc.Arbitrary<Record<string, T>>;
  const json = (value: unknown) => ({
    contentType: op.body!.contentTypes[0],
    text: JSON.stringify(value),
  });

  const path = record(params('path'), pick);
  const query = record(params('query'), (p) => arbitraries.valid(schemaOf(p)).map(toQueryValue));
  // Header values are visible ASCII: anything else is refused by the HTTP client itself.
  const headers = record(params('header'), () =>
    fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((s) => s.replace(/[^\x21-\x7e]/g, '')),
  );
  const validBody = op.body ? arbitraries.valid(op.body.schema).map(json) : undefined;
  const body = !validBody
    ? fc.constant(undefined)
    : op.body!.required
      ? validBody
      : fc.option(validBody, { nil: undefined });
  const valid = fc.record(
    { credential: fc.constant<Credential>('valid'), path, query, headers, body },
    {
      requiredKeys: ['credential', 'path', 'query', 'headers'],
    },
  ) as fc.Arbitrary<Plan>;

  const broken: fc.Arbitrary<Plan>[] = [
    fc
      .tuple(valid, fc.constantFrom<Credential>('viewer', 'foreign', 'none', 'garbage'))
      .map(([plan, credential]) => ({ ...plan, credential, broken: `credential ${credential}` })),
  ];
  for (const p of params('path')) {
    const wrong: fc.Arbitrary<Pick>[] = [
      anyString({ minLength: 1 }).map((literal) => ({ literal })),
      fc.uuid().map((literal) => ({ literal })),
    ];
    if (poolOf(op, p.name))
      wrong.push(fc.nat().map((index) => ({ pool: 'foreign' as const, index })));
    broken.push(
      fc.tuple(valid, fc.oneof(...wrong)).map(([plan, id]) => ({
        ...plan,
        path: { ...plan.path, [p.name]: id },
        broken: `path ${p.name}`,
      })),
    );
  }
  for (const p of params('query')) {
    broken.push(
      fc
        .tuple(valid, fc.oneof(arbitraries.invalid(schemaOf(p)), anyString()))
        .map(([plan, bad]) => ({
          ...plan,
          query: { ...plan.query, [p.name]: toQueryValue(bad) },
          broken: `query ${p.name}`,
        })),
    );
  }
  if (op.body) {
    const bodies = [
      arbitraries.invalid(op.body.schema).map(json),
      anyJson().map(json),
      anyString().map((text) => ({ contentType: op.body!.contentTypes[0], text })),
    ];
    broken.push(
      fc
        .tuple(valid, fc.oneof(...bodies))
        .map(([plan, bad]) => ({ ...plan, body: bad, broken: 'body' })),
    );
  }
  return fc
    .oneof({ weight: broken.length, arbitrary: valid }, ...broken)
    .filter((plan) => !KNOWN_DEFECTS.some((defect) => defect.matches(op, plan)));
}

let t: TestApp;
let own: Company;
let foreign: Company;

beforeAll(async () => {
  // The fuzzed app refuses private networks, as in production; the fixtures' probe
  // connections (closed loopback ports) are created through a second app that allows them.
  t = await startTestApp({
    DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'false',
    SYNC_TRIGGER_RATE_LIMIT: '0',
    SCIM_RATE_LIMIT: '0',
  });
  const seeder = await startTestApp({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true' }, t.db);
  try {
    own = await seedCompany(seeder, 'acme');
    foreign = await seedCompany(seeder, 'globex');
  } finally {
    await seeder.close();
  }
}, 60_000);
afterAll(() => t.close());

function resolve(op: Operation, name: string, pick: Pick): string {
  if ('literal' in pick) return pick.literal;
  const ids = (pick.pool === 'own' ? own : foreign).pools[poolOf(op, name)!];
  return ids[pick.index % ids.length];
}

function credentialHeader(op: Operation, plan: Plan) {
  if (!op.security || plan.credential === 'none') return {};
  if (plan.credential === 'garbage') return { Authorization: 'Bearer dsk_not-a-key' };
  if (op.security === 'platform-token') {
    return bearer(plan.credential === 'valid' ? PLATFORM_TOKEN : own.adminKey);
  }
  if (op.security === 'scim-token') {
    // The own connection's token; another company's, or an API key, are wrong ones.
    const token = { valid: own.scimToken, foreign: foreign.scimToken, viewer: own.adminKey };
    return bearer(token[plan.credential]);
  }
  const key = { valid: own.adminKey, viewer: own.viewerKey, foreign: foreign.adminKey }[
    plan.credential
  ];
  return bearer(key);
}

/** encodeURIComponent, except that a lone surrogate is sent as its (invalid) UTF-8 bytes. */
const encodeSegment = (value: string) =>
  value
    .split(/(\p{Cs})/u)
    .map((part) =>
      /^\p{Cs}$/u.test(part)
        ? [
            0xe0 | (part.charCodeAt(0) >> 12),
            0x80 | ((part.charCodeAt(0) >> 6) & 0x3f),
            0x80 | (part.charCodeAt(0) & 0x3f),
          ]
            .map((byte) => `%${byte.toString(16).toUpperCase()}`)
            .join('')
        : encodeURIComponent(part),
    )
    .join('');

async function send(op: Operation, plan: Plan): Promise<{ request: string; answer: Answer }> {
  const path = Object.fromEntries(
    Object.entries(plan.path).map(([name, pick]) => [name, resolve(op, name, pick)]),
  );
  const query = new URLSearchParams(plan.query).toString();
  const url =
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeSegment(path[name])) +
    (query ? `?${query}` : '');
  const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  let request = t.http()[method](url).set(credentialHeader(op, plan)).set(plan.headers);
  if (plan.body) request = request.set('Content-Type', plan.body.contentType).send(plan.body.text);
  const res = await request;
  const contentType = (res.headers['content-type'] as string | undefined)?.split(';')[0];
  // supertest keeps image answers (the dashboard's SVG icon) as a Buffer, not as text.
  const text = res.text ?? (Buffer.isBuffer(res.body) ? res.body.toString('utf8') : undefined);
  const body = text
    ? /json$/.test(contentType ?? '')
      ? (JSON.parse(text) as unknown)
      : text
    : undefined;
  return {
    request: `${op.method} ${url}${plan.body ? ` (${plan.body.contentType}) ${plan.body.text}` : ''}`,
    answer: { status: res.status, contentType: body === undefined ? undefined : contentType, body },
  };
}

/** Ids the service created become fixtures too (of the company whose key created them). */
function remember(op: Operation, plan: Plan, answer: Answer) {
  if (plan.credential !== 'valid' || answer.status >= 300 || typeof answer.body !== 'object')
    return;
  const body = answer.body as { id?: string; jobId?: string };
  const pool =
    body.jobId !== undefined
      ? 'job'
      : op.method === 'POST'
        ? ({ '/api/directory': 'connection', '/api/api-keys': 'apiKey' }[op.path] ??
          (op.path.endsWith('/Users')
            ? 'scimUser'
            : op.path.endsWith('/Groups')
              ? 'scimGroup'
              : undefined))
        : undefined;
  const id = body.jobId ?? body.id;
  if (pool && id && own.pools[pool].length < 50) own.pools[pool].push(id);
}

/** A query value as the document reads it: integers and booleans parsed, anything else as is. */
function queryValueAccepted(contract: OpenApiContract, op: Operation, name: string, raw: string) {
  const index = op.parameters.findIndex((p) => p.in === 'query' && p.name === name);
  const type = (op.parameters[index].schema as SchemaObject).type;
  const parsed =
    type === 'integer' && /^-?\d+$/.test(raw)
      ? Number(raw)
      : type === 'boolean' && (raw === 'true' || raw === 'false')
        ? raw === 'true'
        : raw;
  return contract.validatorAt(
    'paths',
    op.path,
    op.method.toLowerCase(),
    'parameters',
    String(index),
    'schema',
  )(parsed);
}

/** Whether the request breaks the document's rules in a way the API must refuse. */
function refusedByDocument(contract: OpenApiContract, op: Operation, plan: Plan): boolean {
  // SCIM is lenient on purpose (RFC 7644: startIndex < 1 counts as 1, booleans as strings).
  if (op.security === 'scim-token') return false;
  const query = plan.broken?.match(/^query (.+)$/)?.[1];
  if (query) return !queryValueAccepted(contract, op, query, plan.query[query]);
  // An empty body with a JSON content type is no body, which an optional body may be.
  if (plan.broken !== 'body' || !plan.body || (plan.body.text === '' && !op.body?.required)) {
    return false;
  }
  try {
    return !contract.bodyValidator(op)!(JSON.parse(plan.body.text));
  } catch {
    return true;
  }
}

/** What must hold of every answer, beyond being declared. */
function oracleProblems(
  contract: OpenApiContract,
  op: Operation,
  plan: Plan,
  answer: Answer,
): string[] {
  const success = answer.status >= 200 && answer.status < 300;
  const problems: string[] = [];
  if (success && refusedByDocument(contract, op, plan)) {
    problems.push(`a 2xx for a ${plan.broken} the document refuses`);
  }
  if (answer.status >= 500) problems.push(`a ${answer.status}`);
  const foreignId = Object.values(plan.path).some((p) => 'pool' in p && p.pool === 'foreign');
  // A public route's path parameters name no company's data (the dashboard's file names).
  const foreignKey =
    plan.credential === 'foreign' && !!op.security && Object.keys(plan.path).length > 0;
  if (success && (foreignId || foreignKey)) problems.push("a 2xx for another company's id");
  if (success && op.security && (plan.credential === 'none' || plan.credential === 'garbage')) {
    problems.push('a 2xx without a valid credential');
  }
  if (success && op.security === 'api-key' && op.method !== 'GET' && plan.credential === 'viewer') {
    problems.push('a 2xx for a viewer key on a write');
  }
  return problems;
}

it(
  'answers every generated request as the OpenAPI document declares, never with a 5xx',
  async () => {
    const contract = contractOf(t.app);
    const arbitraries = new SchemaArbitraries(contract.document);
    // Deletions last, so that the other operations find the fixtures.
    const operations = contract.operations
      .filter((op) => !ONLY || ONLY.test(op.name))
      .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    const perOperation = TIME_MS / operations.length;
    const failures: string[] = [];
    const runs: string[] = [];
    for (const [index, op] of operations.entries()) {
      const seed = SEED + index;
      const statuses = new Map<number, number>();
      const property = fc.asyncProperty(planArbitrary(op, arbitraries), async (plan) => {
        const { request, answer } = await send(op, plan);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        remember(op, plan, answer);
        const problems = [
          ...contract.check(op, answer),
          ...oracleProblems(contract, op, plan, answer),
        ];
        if (problems.length) {
          throw new Error(
            `${problems.join('; ')}\n  request: ${request}\n  answer: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 500)}`,
          );
        }
      });
      const details = await fc.check(property, {
        seed,
        numRuns: 1_000_000,
        plugins: [fc.interruptAfterTimeLimit(perOperation)],
      });
      runs.push(
        `${op.name}: ${details.numRuns} runs, statuses ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`,
      );
      if (details.failed) {
        failures.push(
          `${op.name} (FUZZ_SEED=${SEED} FUZZ_OPS='^${op.name}$', seed ${seed}, path ${details.counterexamplePath}): ` +
            `${(details.errorInstance as Error | undefined)?.message ?? String(details.errorInstance)}\n  plan: ${JSON.stringify((details.counterexample as [Plan] | null)?.[0])}`,
        );
      }
    }
    if (process.env.FUZZ_VERBOSE) console.log(runs.join('\n'));
    expect(failures).toEqual([]);
    // A generator that never gets past validation tests little: every operation ran a few times.
    expect(runs.filter((line) => / 0 runs/.test(line))).toEqual([]);
  },
  TIME_MS + 60_000,
);
