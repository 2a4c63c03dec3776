import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type ContentObject,
  type OpenAPIObject,
  type OperationObject,
} from '@nestjs/swagger';
import { addEventSchemas } from './events.js';
import { SCIM_COMPONENTS } from './scim.js';

export const API_KEY_AUTH = 'api-key';
export const PLATFORM_AUTH = 'platform-token';
export const SCIM_AUTH = 'scim-token';

/** The OpenAPI 3 document of every route the app registers. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('directory-sync')
    .setDescription(
      "Keeps every company's employee roster in step with its identity provider. " +
        'Errors are `{statusCode, error, message}` everywhere (validation errors add ' +
        '`fields`). Syncs run as background jobs: a trigger answers 202 with the job.',
    )
    .setVersion('0.1.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: "A company's API key (`dsk_…`)" },
      API_KEY_AUTH,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'PLATFORM_ADMIN_TOKEN' },
      PLATFORM_AUTH,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: "A scim connection's push token" },
      SCIM_AUTH,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const schemas = ((document.components ??= {}).schemas ??= {});
  // The API refuses unknown fields (the strict validation pipe) and answers only the fields
  // its schemas list, so every object the decorators describe is closed.
  for (const schema of Object.values(schemas)) {
    if ('type' in schema && schema.type === 'object') schema.additionalProperties ??= false;
  }
  Object.assign(schemas, SCIM_COMPONENTS);
  addEventSchemas(schemas);
  addEdgeAnswers(document);
  return document;
}

/** What any route may answer before it is reached: the limits of src/common/input. */
const EDGE_ERRORS: Record<number, string> = {
  400: 'Malformed input: JSON syntax or nesting, invalid UTF-8, NUL, a malformed path',
  413: 'The body is larger than 1 MiB',
  414: 'The request line is too long',
  415: 'A body that is not JSON (application/json or application/scim+json) in UTF-8',
  431: 'The request headers are too large',
};

/**
 * Declares the answers every route shares: the input edge's refusals (in SCIM's error schema
 * on SCIM paths) and, on reads, 304 — Express answers it when If-None-Match names the ETag
 * the answer would carry.
 */
function addEdgeAnswers(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    const scim = path.startsWith('/scim/');
    const error: ContentObject = {
      [scim ? 'application/scim+json' : 'application/json']: {
        schema: { $ref: `#/components/schemas/${scim ? 'ScimError' : 'ErrorSchema'}` },
      },
    };
    const operations: [string, OperationObject | undefined][] = [
      ['get', item.get],
      ['put', item.put],
      ['post', item.post],
      ['patch', item.patch],
      ['delete', item.delete],
    ];
    for (const [method, operation] of operations) {
      if (!operation) continue;
      for (const [status, description] of Object.entries(EDGE_ERRORS)) {
        operation.responses[status] ??= { description, content: error };
      }
      if (method === 'get') {
        operation.responses['304'] ??= { description: 'Not modified (If-None-Match)' };
      }
    }
  }
}

/** Swagger UI at `/docs`, the JSON document at `/docs/json` (public, like the health routes). */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs/json',
    yamlDocumentUrl: 'docs/yaml',
  });
}
