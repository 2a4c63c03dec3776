import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
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
  return document;
}

/** Swagger UI at `/docs`, the JSON document at `/docs/json` (public, like the health routes). */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs/json',
    yamlDocumentUrl: 'docs/yaml',
  });
}
