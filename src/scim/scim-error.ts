import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { printable } from '../common/printable.js';
import type { RequestWithId } from '../common/request-id.js';
import { TooManyRequestsException } from '../common/too-many-requests.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** An error a SCIM client should see as is: RFC 7644 §3.12. */
export class ScimException extends HttpException {
  constructor(
    status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail, status);
  }
}

export const invalidValue = (detail: string) =>
  new ScimException(HttpStatus.BAD_REQUEST, detail, 'invalidValue');
export const invalidFilter = (detail: string) =>
  new ScimException(HttpStatus.BAD_REQUEST, detail, 'invalidFilter');
export const uniqueness = (detail: string) =>
  new ScimException(HttpStatus.CONFLICT, detail, 'uniqueness');
export const scimNotFound = (what: string) =>
  new ScimException(HttpStatus.NOT_FOUND, `${what} not found`);

const logger = new Logger('ScimError');

/** Any exception (ours, Nest's, body-parser's, a bug) as a SCIM error answer. */
export function writeScimError(exception: unknown, request: Request, response: Response): void {
  if (response.headersSent) return;
  const body = scimErrorBody(exception, request as RequestWithId);
  if (exception instanceof TooManyRequestsException) {
    response.setHeader('Retry-After', String(exception.retryAfterSeconds));
  }
  response.status(Number(body.status)).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

function scimErrorBody(exception: unknown, request: RequestWithId): ScimErrorBody {
  const body = (status: number, detail: string, scimType?: ScimType): ScimErrorBody => ({
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    // A detail may quote the client's input: never its control characters.
    detail: printable(detail),
  });
  if (exception instanceof ScimException) {
    return body(exception.getStatus(), exception.detail, exception.scimType);
  }
  // body-parser: malformed JSON (Nest maps it to a 400 whose `cause` is the parser's error)
  const parser = exception as { status?: unknown; type?: unknown; cause?: unknown } | null;
  const cause = parser?.cause as { type?: unknown } | undefined;
  if (parser?.type === 'entity.parse.failed' || cause?.type === 'entity.parse.failed') {
    return body(400, 'the request body is not valid JSON', 'invalidSyntax');
  }
  const status =
    exception instanceof HttpException
      ? exception.getStatus()
      : typeof parser?.status === 'number' && parser.status >= 400 && parser.status < 600
        ? parser.status
        : 500;
  if (status >= 500) {
    logger.error(
      `${request.method} ${request.path} failed (request ${request.id})`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return body(status, `internal server error (request ${request.id})`);
  }
  const message = exception instanceof Error ? exception.message : String(exception);
  return body(status, message || 'error');
}

/** Controller-scoped: every SCIM route answers in the SCIM error schema. */
@Catch()
export class ScimErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    writeScimError(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }
}

/** SCIM paths: errors raised before a SCIM controller is reached (body parser, unknown route). */
export function isScimPath(path: string): boolean {
  return path === '/scim' || path.startsWith('/scim/');
}
