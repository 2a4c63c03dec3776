import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ParameterObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { Validator } from '@seriousme/openapi-schema-validator';
import { OpenApiContract, type Operation } from './support/openapi-contract.js';
import { scim, scimConnection } from './support/scim.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('the contract check', () => {
  const contract = new OpenApiContract({
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/things/{id}': {
        get: {
          responses: {
            '200': {
              description: 'a thing',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id'],
                    properties: { id: { type: 'string', format: 'uuid' } },
                    additionalProperties: false,
                  },
                },
              },
            },
            '204': { description: 'nothing' },
          },
        },
      },
    },
  });
  const op = contract.find('GET', '/things/42')!;
  const id = '0b6f3c8e-4a6b-4c8e-9a1d-2f3e4d5c6b7a';

  it('accepts what the document declares', () => {
    expect(op.name).toBe('GET /things/{id}');
    expect(
      contract.check(op, { status: 200, contentType: 'application/json', body: { id } }),
    ).toEqual([]);
    expect(contract.check(op, { status: 204 })).toEqual([]);
  });

  it('names an undeclared status, media type, body or field', () => {
    expect(contract.check(op, { status: 500 })).toEqual([
      '500 is not declared (declared: 200, 204)',
    ]);
    expect(contract.check(op, { status: 200, contentType: 'text/html', body: 'x' })).toEqual([
      '200 declares application/json, got text/html',
    ]);
    expect(contract.check(op, { status: 204, contentType: 'application/json', body: {} })).toEqual([
      '204 declares no body, got one',
    ]);
    expect(
      contract.check(op, {
        status: 200,
        contentType: 'application/json',
        body: { id: 'x', secret: 1 },
      }),
    ).toEqual([
      '200 body must NOT have additional properties',
      '200 body/id must match format "uuid"',
    ]);
  });
});

/**
 * The document itself: valid OpenAPI 3, and every operation says what it takes and what it
 * answers. (That the answers are the declared ones is checked for every e2e test by the
 * test app, and by the fuzz test in openapi-fuzz.e2e-spec.ts.)
 */
describe('the OpenAPI document', () => {
  let t: TestApp;
  let contract: OpenApiContract;
  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.http().get('/docs/json').expect(200);
    contract = new OpenApiContract(res.body as OpenApiContract['document']);
  });
  afterAll(() => t.close());

  const each = (check: (op: Operation) => string[]) =>
    contract.operations.flatMap((op) => check(op).map((problem) => `${op.name}: ${problem}`));
  const responses = (op: Operation) => op.spec.responses as Record<string, ResponseObject>;
  const errorSchema = (op: Operation) =>
    op.security === 'scim-token' ? 'ScimError' : 'ErrorSchema';

  it('is valid OpenAPI 3', async () => {
    const spec = contract.document as unknown as Record<string, unknown>;
    const result = await new Validator().validate(spec);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(contract.document.openapi).toMatch(/^3\./);
  });

  it('declares a 2xx for every operation, with a schema unless it is a 204', () => {
    expect(
      each((op) => {
        const success = Object.keys(responses(op)).filter((status) => status.startsWith('2'));
        if (success.length === 0) return ['no 2xx declared'];
        return success
          .filter((status) => status !== '204' && !responses(op)[status].content)
          .map((status) => `${status} has no body schema`);
      }),
    ).toEqual([]);
  });

  it('declares 401 on authenticated operations, 403 on api-key writes, 400 where input is validated, 404 on ids', () => {
    expect(
      each((op) => {
        const declared = new Set(Object.keys(responses(op)));
        const wanted: string[] = [];
        if (op.security) wanted.push('401');
        if (op.security === 'api-key' && op.method !== 'GET') wanted.push('403');
        const validated = op.parameters.some((p) => p.in === 'query' || p.in === 'path');
        if (op.security !== 'scim-token' && (validated || op.body)) wanted.push('400');
        if (op.security === 'scim-token' && op.body) wanted.push('400');
        if (op.path.endsWith('}') || op.path.includes('}/')) {
          // Every id in a path may be unknown (the scim connection's is a 401 like a bad token).
          if (op.parameters.some((p) => p.in === 'path' && p.name !== 'connectionId')) {
            wanted.push('404');
          }
        }
        return wanted.filter((status) => !declared.has(status)).map((s) => `${s} not declared`);
      }),
    ).toEqual([]);
  });

  it('documents the employees filters, cursors, names, the token rotation and the optional sync body', () => {
    const op = (name: string) => contract.operations.find((o) => o.name === name)!;
    const param = (name: string, param: string) =>
      op(name).parameters.find((p) => p.name === param)?.schema;
    expect(param('GET /api/employees', 'groupId')).toMatchObject({ format: 'uuid' });
    expect(param('GET /api/employees', 'limit')).toEqual(
      expect.objectContaining({ type: 'integer', minimum: 1, maximum: 500 }),
    );
    expect(param('GET /api/sync-jobs', 'limit')).toMatchObject({ type: 'integer', maximum: 200 });
    for (const list of ['GET /api/sync-jobs', 'GET /api/employees']) {
      expect(param(list, 'cursor')).toMatchObject({ type: 'string', pattern: expect.any(String) });
    }
    expect(responses(op('POST /api/directory/{id}/scim-token'))['200'].content).toBeDefined();
    const sync = op('POST /api/directory/{id}/sync');
    expect(sync.body?.required).toBe(false);
    expect(Object.keys(responses(sync))).toEqual(expect.arrayContaining(['202', '409', '429']));
    const schemas = contract.document.components!.schemas as Record<string, SchemaObject>;
    for (const dto of ['CreateCompanyDto', 'CreateApiKeyDto', 'CreateConnectionDto']) {
      expect(schemas[dto].properties!.name).toMatchObject({ minLength: 1, maxLength: 200 });
      expect(schemas[dto].properties!.name).toMatchObject({ pattern: '\\S' });
    }
  });

  it('documents employee emails as the directory sent them (not necessarily RFC 5322)', async () => {
    const push = await scimConnection(t);
    await scim(t, push, 'post', '/Users', {
      userName: 'ann',
      emails: [{ value: 'ann@intranet' }],
    }).expect(201);
    const res = await t.http().get('/api/employees').set(bearer(push.company.adminKey)).expect(200);
    expect((res.body as { items: { email: string }[] }).items[0].email).toBe('ann@intranet');
    const answer = { status: 200, contentType: 'application/json', body: res.body as unknown };
    expect(contract.check(contract.find('GET', '/api/employees')!, answer)).toEqual([]);
  });

  it('documents the SCIM operations: parameters, bodies, answers in SCIM schemas', () => {
    const scim = contract.operations.filter((op) => op.security === 'scim-token');
    // The 17 of RFC 7644 we serve, and the three `.search` routes.
    expect(scim).toHaveLength(20);
    expect(
      each((op) => {
        if (op.security !== 'scim-token') return [];
        const problems: string[] = [];
        if (!op.parameters.some((p) => p.name === 'connectionId')) problems.push('no connectionId');
        if (['POST', 'PUT', 'PATCH'].includes(op.method) && !op.body) problems.push('no body');
        if (op.method === 'GET' && op.path.endsWith('/Users')) {
          const names = op.parameters.map((p) => p.name);
          for (const name of [
            'filter',
            'startIndex',
            'count',
            'attributes',
            'excludedAttributes',
          ]) {
            if (!names.includes(name)) problems.push(`no ${name}`);
          }
        }
        return problems;
      }),
    ).toEqual([]);
  });

  it('gives every parameter a type, ids their uuid format, and every error its error schema', () => {
    expect(
      each((op) => {
        const problems = op.parameters.flatMap((p: ParameterObject) => {
          const schema = p.schema as SchemaObject | undefined;
          if (!schema?.type) return [`parameter ${p.name} has no type`];
          const isId = p.in === 'path' && /(^id|Id)$/.test(p.name) && !schema.enum;
          return isId && schema.format !== 'uuid' ? [`parameter ${p.name} is not a uuid`] : [];
        });
        for (const [status, response] of Object.entries(responses(op))) {
          if (Number(status) < 400 || op.path === '/health/ready') continue;
          const schemas = Object.values(response.content ?? {}).map((c) =>
            JSON.stringify(c.schema),
          );
          if (!schemas.length || schemas.some((s) => !s.includes(`/${errorSchema(op)}"`))) {
            problems.push(`${status} does not answer the ${errorSchema(op)}`);
          }
        }
        return problems;
      }),
    ).toEqual([]);
  });
});
