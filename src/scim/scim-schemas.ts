/** SCIM URNs and the discovery documents (RFC 7643 §5–§7, RFC 7644 §4). */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export const MAX_RESULTS = 200;

/** Attributes of every resource that clients cannot change (RFC 7643 §3.1, §4.1.2), lower-cased. */
export const READ_ONLY_ATTRIBUTES = new Set(['id', 'meta', 'schemas', 'groups']);

export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

interface AttrOptions {
  type?: 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime';
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  uniqueness?: 'none' | 'server' | 'global';
  subAttributes?: Attribute[];
  referenceTypes?: string[];
  canonicalValues?: string[];
}

/** An attribute definition as `/Schemas` shows it (RFC 7643 §7). */
export interface Attribute {
  name: string;
  mutability: NonNullable<AttrOptions['mutability']>;
  subAttributes?: Attribute[];
  [characteristic: string]: unknown;
}

function attr(name: string, options: AttrOptions = {}): Attribute {
  return {
    name,
    type: options.type ?? 'string',
    multiValued: options.multiValued ?? false,
    description: name,
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    ...(options.canonicalValues ? { canonicalValues: options.canonicalValues } : {}),
    mutability: options.mutability ?? 'readWrite',
    returned: 'default',
    uniqueness: options.uniqueness ?? 'none',
    ...(options.subAttributes ? { subAttributes: options.subAttributes } : {}),
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
  };
}

/** What the service keeps of a User; PATCH paths and projections are checked against it. */
export const USER_ATTRIBUTES: Attribute[] = [
  attr('userName', { required: true, uniqueness: 'server' }),
  attr('externalId', { caseExact: true }),
  attr('name', {
    type: 'complex',
    subAttributes: [attr('givenName'), attr('familyName'), attr('formatted')],
  }),
  attr('displayName'),
  attr('title'),
  attr('active', { type: 'boolean' }),
  // Optional: the roster keeps people without an email (RFC 7643 §4.1 requires only userName).
  attr('emails', {
    type: 'complex',
    multiValued: true,
    subAttributes: [attr('value'), attr('type'), attr('primary', { type: 'boolean' })],
  }),
];

export const ENTERPRISE_ATTRIBUTES: Attribute[] = [
  attr('department'),
  attr('manager', {
    type: 'complex',
    subAttributes: [
      attr('value', { caseExact: true }),
      attr('$ref', { type: 'reference', referenceTypes: ['User'], mutability: 'readOnly' }),
    ],
  }),
];

/** RFC 7643 §8.7.1, limited to what we support: members are users of the connection. */
export const GROUP_ATTRIBUTES: Attribute[] = [
  attr('displayName', { required: true, uniqueness: 'server' }),
  attr('externalId', { caseExact: true }),
  attr('members', {
    type: 'complex',
    multiValued: true,
    subAttributes: [
      attr('value', { caseExact: true, mutability: 'immutable' }),
      attr('display', { mutability: 'readOnly' }),
      attr('$ref', { type: 'reference', referenceTypes: ['User'], mutability: 'immutable' }),
      attr('type', { canonicalValues: ['User'], mutability: 'immutable' }),
    ],
  }),
];

function schema(id: string, name: string, attributes: Attribute[], base: string) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description: name,
    attributes,
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${id}` },
  };
}

export function schemaDocuments(base: string) {
  return [
    schema(USER_SCHEMA, 'User', USER_ATTRIBUTES, base),
    schema(ENTERPRISE_SCHEMA, 'EnterpriseUser', ENTERPRISE_ATTRIBUTES, base),
    schema(GROUP_SCHEMA, 'Group', GROUP_ATTRIBUTES, base),
  ];
}

export function resourceTypeDocuments(base: string) {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'An employee of the company',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A group of employees',
      schema: GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

export function serviceProviderConfig(base: string) {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://github.com/directory-sync/directory-sync#scim-20',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'The connection token: Authorization: Bearer <token>',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function listResponse<T>(resources: T[], total: number, startIndex: number) {
  return {
    schemas: [LIST_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
