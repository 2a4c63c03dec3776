import type { INestApplication } from '@nestjs/common';
import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  RequestBodyObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { buildOpenApiDocument } from '../../src/openapi/openapi.js';

// ajv-formats is CommonJS: the default import is its module object.
const { default: addFormats } = addFormatsModule;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export interface Operation {
  method: string;
  /** The path template, e.g. `/api/directory/{id}`. */
  path: string;
  /** `GET /api/directory/{id}` */
  name: string;
  spec: OperationObject;
  /** The scheme of its `security` (api-key, platform-token, scim-token), if any. */
  security?: string;
  parameters: ParameterObject[];
  body?: { required: boolean; contentTypes: string[]; schema: SchemaObject | ReferenceObject };
  matches(path: string): boolean;
}

/** What the server answered, as the contract checks it. */
export interface Answer {
  status: number;
  /** The media type, without parameters; undefined when the answer has no body. */
  contentType?: string;
  /** Parsed JSON, or the text of other media types; undefined when empty. */
  body?: unknown;
}

/** The document's JSON pointer to a value (RFC 6901). */
const pointer = (...parts: string[]) =>
  parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function toOperation(path: string, method: string, spec: OperationObject): Operation {
  const pattern = new RegExp(
    `^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
  );
  const body = spec.requestBody as RequestBodyObject | undefined;
  const contentTypes = Object.keys(body?.content ?? {});
  return {
    method: method.toUpperCase(),
    path,
    name: `${method.toUpperCase()} ${path}`,
    spec,
    security: spec.security?.flatMap((requirement) => Object.keys(requirement))[0],
    parameters: (spec.parameters ?? []) as ParameterObject[],
    body: body
      ? {
          required: body.required ?? false,
          contentTypes,
          schema: body.content[contentTypes[0]].schema!,
        }
      : undefined,
    matches: (candidate) => pattern.test(candidate),
  };
}

/**
 * The OpenAPI document as a contract: finds the operation of a request, and says what is
 * wrong with an answer (an undeclared status, media type or body), validating bodies with
 * ajv against the document's own schemas.
 */
export class OpenApiContract {
  readonly operations: Operation[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenAPIObject) {
    this.operations = Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) =>
        toOperation(path, method, item[method]!),
      ),
    );
    // Fewer parameters first, so a literal segment wins: `/Users/.search` over `/Users/{id}`.
    this.operations.sort((a, b) => a.path.split('{').length - b.path.split('{').length);
    this.ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'openapi.json');
  }

  find(method: string, path: string): Operation | undefined {
    return this.operations.find((op) => op.method === method && op.matches(path));
  }

  /** A validator of the schema at a JSON pointer into the document (its $refs resolve). */
  validatorAt(...path: string[]): ValidateFunction {
    const ref = `openapi.json#/${pointer(...path)}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    return validate;
  }

  /** Whether a request body is valid for the operation's first declared media type. */
  bodyValidator(op: Operation): ValidateFunction | undefined {
    if (!op.body) return undefined;
    const [type] = op.body.contentTypes;
    return this.validatorAt(
      'paths',
      op.path,
      op.method.toLowerCase(),
      'requestBody',
      'content',
      type,
      'schema',
    );
  }

  /** What is wrong with an answer to `op`; empty when it is what the document declares. */
  check(op: Operation, answer: Answer): string[] {
    const responses = op.spec.responses as Record<string, ResponseObject>;
    const status = String(answer.status);
    if (!responses[status]) {
      return [`${answer.status} is not declared (declared: ${Object.keys(responses).join(', ')})`];
    }
    const content = responses[status].content;
    if (!content) {
      return answer.body === undefined ? [] : [`${status} declares no body, got one`];
    }
    if (answer.contentType === undefined || !content[answer.contentType]) {
      return [
        `${status} declares ${Object.keys(content).join(', ')}, got ${answer.contentType ?? 'no body'}`,
      ];
    }
    if (!content[answer.contentType].schema) return [];
    const validate = this.validatorAt(
      'paths',
      op.path,
      op.method.toLowerCase(),
      'responses',
      status,
      'content',
      answer.contentType,
      'schema',
    );
    if (validate(answer.body)) return [];
    return (validate.errors ?? []).map(
      (error) => `${status} body${error.instancePath || ''} ${error.message ?? 'is invalid'}`,
    );
  }
}

let cached: OpenApiContract | undefined;

/** The contract of the app's document, built once per test file (it is the same for all). */
export function contractOf(app: INestApplication): OpenApiContract {
  cached ??= new OpenApiContract(buildOpenApiDocument(app));
  return cached;
}

export interface RecordedAnswer extends Answer {
  method: string;
  url: string;
}

/** A response body as the contract sees it: JSON parsed, other media types as text. */
function readBody(res: ServerResponse, raw: Buffer): Pick<Answer, 'contentType' | 'body'> {
  if (raw.length === 0) return {};
  const contentType = String(res.getHeader('content-type') ?? '')
    .split(';')[0]
    .trim();
  const text = raw.toString('utf8');
  if (!/[/+]json$/.test(contentType)) return { contentType, body: text };
  try {
    return { contentType, body: JSON.parse(text) as unknown };
  } catch {
    return { contentType, body: text };
  }
}

/**
 * Records every answer the server sends, with its body, from the first `request` listener
 * (before Express, so answers of the body parser and of unknown routes are seen too).
 */
export function recordAnswers(server: Server): RecordedAnswer[] {
  const answers: RecordedAnswer[] = [];
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (typeof chunk === 'string') {
        chunks.push(
          Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
        );
      } else if (chunk instanceof Uint8Array) {
        chunks.push(Buffer.from(chunk));
      }
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as ServerResponse['write'];
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return end(...args);
    }) as ServerResponse['end'];
    res.on('finish', () => {
      answers.push({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        status: res.statusCode,
        ...(req.method === 'HEAD' ? {} : readBody(res, Buffer.concat(chunks))),
      });
    });
  });
  return answers;
}

/** Each recorded answer the document does not declare, as `METHOD url -> status: problem`. */
export function contractViolations(contract: OpenApiContract, answers: RecordedAnswer[]): string[] {
  return answers.flatMap((answer) => {
    const path = new URL(answer.url, 'http://test').pathname;
    const op = contract.find(answer.method, path);
    if (!op) return [];
    return contract
      .check(op, answer)
      .map((problem) => `${answer.method} ${answer.url} -> ${answer.status}: ${problem}`);
  });
}
