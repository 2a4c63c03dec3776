import { expect } from '@jest/globals';
import type { Response } from 'supertest';
import { bearer, createCompany, type TestApp, type TestCompany } from './test-app.js';

export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimSetup {
  company: TestCompany;
  connectionId: string;
  token: string;
  base: string;
}

/** A company with a scim connection and its token. */
export async function scimConnection(t: TestApp, company?: TestCompany): Promise<ScimSetup> {
  const owner = company ?? (await createCompany(t));
  const res = await t
    .http()
    .post('/api/directory')
    .set(bearer(owner.adminKey))
    .send({ name: 'SCIM push', type: 'scim' })
    .expect(201);
  const body = res.body as { id: string; scimToken: string; scimBaseUrl: string };
  return { company: owner, connectionId: body.id, token: body.scimToken, base: body.scimBaseUrl };
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A SCIM request as IdPs send it: bearer token, `application/scim+json`. */
export function scim(t: TestApp, s: ScimSetup, method: Method, path: string, body?: unknown) {
  const agent = t.http();
  const req = agent[method](`${s.base}${path}`)
    .set(bearer(s.token))
    // A fixed host: meta.location is built from it (supertest's port changes per request).
    .set('Host', 'scim.example.test')
    .set('Accept', 'application/scim+json');
  if (body === undefined) return req;
  return req.set('Content-Type', 'application/scim+json').send(JSON.stringify(body));
}

/** The SCIM error schema: status as a string, scimType when there is one. */
export function expectScimError(res: Response, status: number, scimType?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  const body = res.body as Record<string, unknown>;
  expect(body.schemas).toEqual([ERROR]);
  expect(body.status).toBe(String(status));
  expect(typeof body.detail).toBe('string');
  if (scimType) expect(body.scimType).toBe(scimType);
  else expect(body.scimType).toBeUndefined();
}

export function oktaUser(userName: string, extra: Record<string, unknown> = {}) {
  const [local] = userName.split('@');
  return {
    schemas: [USER],
    userName,
    name: { givenName: local, familyName: 'Okta' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${local} Okta`,
    locale: 'en-US',
    externalId: `00u${local}`,
    groups: [],
    password: 'not-stored-1!',
    active: true,
    ...extra,
  };
}

export const patchOp = (...Operations: Record<string, unknown>[]) => ({
  schemas: [PATCH_OP],
  Operations,
});

export type Resource = Record<string, unknown> & {
  id: string;
  meta: Record<string, string>;
};

export const resource = (res: Response) => res.body as Resource;

export interface ListBody {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Resource[];
}

/** An employee as `GET /api/employees` lists it. */
export interface EmployeeView {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  title: string | null;
  department: string | null;
  active: boolean;
  connectionId: string | null;
  externalId: string | null;
  deactivatedAt: string | null;
}

/** A page of the company's roster, through the employee API. */
export async function rosterPage(t: TestApp, s: ScimSetup, query: Record<string, string>) {
  const res = await t
    .http()
    .get('/api/employees')
    .query(query)
    .set(bearer(s.company.adminKey))
    .expect(200);
  return res.body as { items: EmployeeView[]; nextCursor: string | null };
}
