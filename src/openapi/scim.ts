import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  type ReferenceObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { SCIM_ERROR_SCHEMA } from '../scim/scim-error.js';
import {
  ENTERPRISE_SCHEMA,
  GROUP_SCHEMA,
  LIST_SCHEMA,
  MAX_RESULTS,
  PATCH_SCHEMA,
  SEARCH_SCHEMA,
  schemaDocuments,
  resourceTypeDocuments,
} from '../scim/scim-schemas.js';

/**
 * The SCIM 2.0 routes in the OpenAPI document (RFC 7643 resources, RFC 7644 operations).
 * SCIM resources have attribute names no class property can carry (the enterprise URN), so
 * their schemas are written here as JSON schemas and added to the document's components.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const string = { type: 'string' } as const;
const boolean = { type: 'boolean' } as const;
const integer = { type: 'integer' } as const;
const uris = { type: 'array', items: string } as const;
const date = { type: 'string', format: 'date-time' } as const;

const object =
  (additionalProperties: boolean) =>
  (properties: Record<string, SchemaObject>, required: string[] = []) =>
    ({
      type: 'object',
      properties,
      ...(required.length ? { required } : {}),
      additionalProperties,
    }) satisfies SchemaObject;

/** An object whose properties are all listed: answers carry nothing undocumented. */
const closed = object(false);
/** A request object: SCIM clients send attributes we do not keep, and they are accepted. */
const open = object(true);

const meta = closed({
  resourceType: string,
  created: date,
  lastModified: date,
  location: { type: 'string', description: 'The URL of the resource' },
  version: { type: 'string', description: 'Also the ETag header, e.g. W/"3"' },
});

const userAttributes = {
  externalId: string,
  displayName: string,
  title: string,
  active: { type: 'boolean', description: 'Strings "True"/"false" are accepted too' },
} satisfies Record<string, SchemaObject>;

const listOf = (items: SchemaObject | ReferenceObject) =>
  closed(
    {
      schemas: { type: 'array', items: { type: 'string', enum: [LIST_SCHEMA] } },
      totalResults: integer,
      startIndex: integer,
      itemsPerPage: integer,
      Resources: { type: 'array', items },
    },
    ['schemas', 'totalResults', 'startIndex', 'itemsPerPage', 'Resources'],
  );

export const SCIM_COMPONENTS: Record<string, SchemaObject> = {
  ScimError: closed(
    {
      schemas: { type: 'array', items: { type: 'string', enum: [SCIM_ERROR_SCHEMA] } },
      status: { type: 'string', pattern: '^[45][0-9][0-9]$', description: 'The HTTP status' },
      scimType: {
        type: 'string',
        enum: [
          'invalidFilter',
          'tooMany',
          'uniqueness',
          'mutability',
          'invalidSyntax',
          'invalidPath',
          'noTarget',
          'invalidValue',
          'invalidVers',
        ],
      },
      detail: string,
    },
    ['schemas', 'status', 'detail'],
  ),
  ScimUser: closed(
    {
      schemas: uris,
      id: { type: 'string', format: 'uuid' },
      userName: string,
      name: closed({ givenName: string, familyName: string, formatted: string }),
      emails: { type: 'array', items: closed({ value: string, type: string, primary: boolean }) },
      ...userAttributes,
      active: boolean,
      [ENTERPRISE_SCHEMA]: closed({
        department: string,
        // and `$ref`, the manager's URL (see members)
        manager: { ...closed({ value: string }, ['value']), additionalProperties: string },
      }),
      meta,
    },
    ['schemas', 'id'],
  ),
  ScimUserInput: open(
    {
      schemas: uris,
      userName: {
        type: 'string',
        minLength: 1,
        description:
          'Unique per connection; the roster email when it is an address and no emails are sent',
      },
      name: open({ givenName: string, familyName: string }),
      emails: {
        type: 'array',
        description: 'The primary one (else `work`, else the first) is the roster email',
        items: open(
          { value: { type: 'string', format: 'email' }, type: string, primary: boolean },
          ['value'],
        ),
      },
      ...userAttributes,
      [ENTERPRISE_SCHEMA]: open({
        department: string,
        manager: { description: '`{value}` or the bare id' },
      }),
    },
    ['userName'],
  ),
  ScimGroup: closed(
    {
      schemas: { type: 'array', items: { type: 'string', enum: [GROUP_SCHEMA] } },
      id: { type: 'string', format: 'uuid' },
      displayName: string,
      externalId: string,
      members: {
        type: 'array',
        items: {
          // `$ref` (the member's URL) cannot be listed: tools take a property of that name
          // for a JSON reference.
          ...closed({ value: string, display: string, type: string }, ['value']),
          additionalProperties: string,
        },
      },
      meta,
    },
    ['schemas', 'id'],
  ),
  ScimGroupInput: open(
    {
      schemas: uris,
      displayName: { type: 'string', minLength: 1, description: 'Unique per connection' },
      externalId: string,
      members: {
        type: 'array',
        description: 'Users of this connection, by id',
        items: open({ value: { type: 'string', format: 'uuid' } }, ['value']),
      },
    },
    ['displayName'],
  ),
  ScimPatchOp: open(
    {
      schemas: { type: 'array', items: { type: 'string', enum: [PATCH_SCHEMA] } },
      Operations: {
        type: 'array',
        minItems: 1,
        items: open(
          {
            op: {
              type: 'string',
              enum: ['add', 'replace', 'remove'],
              description: 'Any case is accepted ("Replace")',
            },
            path: { type: 'string', description: 'e.g. `emails[type eq "work"].value`' },
            value: { description: 'Without a path: an object of attribute values' },
          },
          ['op'],
        ),
      },
    },
    ['Operations'],
  ),
  ScimSearchRequest: open(
    {
      schemas: { type: 'array', minItems: 1, items: { type: 'string', enum: [SEARCH_SCHEMA] } },
      filter: string,
      startIndex: { ...integer, description: '1-based; less than 1 counts as 1' },
      count: { ...integer, description: `At most ${MAX_RESULTS}; negative counts as 0` },
      attributes: { type: 'array', items: string },
      excludedAttributes: { type: 'array', items: string },
      sortBy: { ...string, description: 'Ignored: sorting is not supported' },
      sortOrder: { ...string, description: 'Ignored' },
    },
    ['schemas'],
  ),
  ScimUserList: listOf(ref('ScimUser')),
  ScimGroupList: listOf(ref('ScimGroup')),
  ScimResourceList: listOf({ anyOf: [ref('ScimUser'), ref('ScimGroup')] }),
  ScimServiceProviderConfig: open({ schemas: uris }, [
    'schemas',
    'patch',
    'bulk',
    'filter',
    'changePassword',
    'sort',
    'etag',
    'authenticationSchemes',
  ]),
  ScimResourceType: open(
    { schemas: uris, id: string, name: string, endpoint: string, schema: string, meta },
    ['schemas', 'id', 'name', 'endpoint', 'schema'],
  ),
  ScimResourceTypeList: listOf(ref('ScimResourceType')),
  ScimSchema: open({ schemas: uris, id: string, name: string, attributes: { type: 'array' } }, [
    'schemas',
    'id',
    'attributes',
  ]),
  ScimSchemaList: listOf(ref('ScimSchema')),
};

const ERROR_TEXT: Record<number, string> = {
  400: 'invalidValue, invalidSyntax, invalidFilter, invalidPath, noTarget, or a malformed path',
  401: 'No token, a wrong one, an unknown or a non-scim connection (all alike)',
  404: 'No such resource in this connection',
  409: 'uniqueness: the userName, displayName or email is taken',
  412: 'If-Match does not match the current version',
  429: "The connection's SCIM_RATE_LIMIT; Retry-After says when to come back",
  500: 'Unexpected; the detail carries the request id',
};

const scimErrors = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: ERROR_TEXT[status], schema: ref('ScimError') }),
    ),
  );

/** On the controller: the connection in the path, SCIM's media type, the common errors. */
export const ApiScim = () =>
  applyDecorators(
    ApiParam({ name: 'connectionId', type: String, format: 'uuid' }),
    ApiProduces('application/scim+json'),
    ApiConsumes('application/scim+json', 'application/json'),
    scimErrors(400, 401, 429, 500),
  );

type Resource = 'User' | 'Group';

const idParam = (resource: Resource) =>
  ApiParam({ name: 'id', type: String, format: 'uuid', description: `The ${resource}'s id` });

const projection = () =>
  applyDecorators(
    ApiQuery({
      name: 'attributes',
      required: false,
      type: String,
      description: 'Comma-separated attribute names to return (RFC 7644 §3.4.2.5)',
    }),
    ApiQuery({
      name: 'excludedAttributes',
      required: false,
      type: String,
      description: 'Comma-separated attribute names to leave out, e.g. `members`',
    }),
  );

const ifMatch = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The `ETag` (meta.version) the change is based on; 412 when it moved on',
  });

const etagHeader = { ETag: { description: 'meta.version', schema: string } };

const resourceAnswer = (resource: Resource, status: number) =>
  ApiResponse({ status, schema: ref(`Scim${resource}`), headers: etagHeader });

/** One decorator per SCIM operation, named after the controller's methods. */
export const ScimDocs = {
  create: (resource: Resource) =>
    applyDecorators(
      ApiOperation({ summary: `Create a ${resource}` }),
      ApiBody({ schema: ref(`Scim${resource}Input`) }),
      ApiResponse({
        status: 201,
        schema: ref(`Scim${resource}`),
        headers: { ...etagHeader, Location: { description: 'meta.location', schema: string } },
      }),
      scimErrors(400, 409),
    ),
  list: (resource: Resource) =>
    applyDecorators(
      ApiOperation({ summary: `${resource}s, oldest first, optionally filtered` }),
      ApiQuery({ name: 'filter', required: false, type: String, example: 'userName eq "ann"' }),
      ApiQuery({
        name: 'startIndex',
        required: false,
        type: 'integer',
        description: '1-based; less than 1 counts as 1',
      }),
      ApiQuery({
        name: 'count',
        required: false,
        type: 'integer',
        description: `Page size, default 100, at most ${MAX_RESULTS}; negative counts as 0`,
      }),
      projection(),
      ApiResponse({ status: 200, schema: ref(`Scim${resource}List`) }),
      scimErrors(400),
    ),
  /** POST …/.search: the query in a SearchRequest body; no resource: Users, then Groups. */
  search: (resource?: Resource) =>
    applyDecorators(
      ApiOperation({
        summary: resource ? `Search ${resource}s (a SearchRequest)` : 'Search Users and Groups',
      }),
      ApiBody({ schema: ref('ScimSearchRequest') }),
      ApiResponse({
        status: 200,
        schema: ref(resource ? `Scim${resource}List` : 'ScimResourceList'),
      }),
      scimErrors(400),
    ),
  get: (resource: Resource) =>
    applyDecorators(
      ApiOperation({ summary: `One ${resource}` }),
      idParam(resource),
      projection(),
      resourceAnswer(resource, 200),
      scimErrors(400, 404),
    ),
  replace: (resource: Resource) =>
    applyDecorators(
      ApiOperation({ summary: `Replace a ${resource}` }),
      idParam(resource),
      ifMatch(),
      ApiBody({ schema: ref(`Scim${resource}Input`) }),
      resourceAnswer(resource, 200),
      scimErrors(400, 404, 409, 412),
    ),
  /** A User answers 200 with itself; a Group 204 (member lists can be long). */
  patch: (resource: Resource) =>
    applyDecorators(
      ApiOperation({ summary: `Change a ${resource} (PatchOp)` }),
      idParam(resource),
      ifMatch(),
      ApiBody({ schema: ref('ScimPatchOp') }),
      resource === 'User'
        ? resourceAnswer(resource, 200)
        : ApiResponse({ status: 204, description: 'Changed' }),
      scimErrors(400, 404, 409, 412),
    ),
  remove: (resource: Resource) =>
    applyDecorators(
      ApiOperation({
        summary:
          resource === 'User'
            ? 'Delete a User: the employee is deactivated and leaves its groups'
            : 'Delete a Group',
      }),
      idParam(resource),
      ifMatch(),
      ApiResponse({ status: 204, description: 'Deleted' }),
      scimErrors(404, 412),
    ),
  /** Discovery (RFC 7644 §4): a document, a list of them, or one by id. */
  discovery: (summary: string, schema: string, ids?: string[]) =>
    applyDecorators(
      ApiOperation({ summary }),
      ...(ids ? [ApiParam({ name: 'id', type: String, enum: ids }), scimErrors(404)] : []),
      ApiResponse({ status: 200, schema: ref(schema) }),
    ),
};

/** The ids the discovery documents answer to (the base URL does not matter for them). */
export const SCIM_RESOURCE_TYPE_IDS = resourceTypeDocuments('').map((t) => t.id);
export const SCIM_SCHEMA_IDS = schemaDocuments('').map((s) => s.id);
