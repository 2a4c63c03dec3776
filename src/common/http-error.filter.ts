import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { isScimPath, writeScimError } from '../scim/scim-error.js';
import { printable } from './printable.js';
import type { RequestWithId } from './request-id.js';
import { TooManyRequestsException } from './too-many-requests.js';
import { ValidationFailedException, type FieldError } from './validation.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: FieldError[];
  requestId?: string;
}

/**
 * One error shape for the whole API. Unexpected errors become a 500 that carries the
 * request id and nothing else; their stack goes to the log under the same id.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<RequestWithId>();
    const response = http.getResponse<Response>();
    // Errors on SCIM paths that no SCIM controller saw (malformed JSON, unknown route).
    if (isScimPath(request.path)) return writeScimError(exception, request, response);
    const body = this.toBody(exception, request);
    if (response.headersSent) return;
    if (exception instanceof TooManyRequestsException) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, request: RequestWithId): ErrorBody {
    const status = statusOf(exception);
    if (status === undefined || status >= 500) {
      this.logger.error(
        `${request.method} ${request.path} failed (request ${request.id})`,
        exception instanceof Error ? exception.stack : String(exception),
      );
      const statusCode = status ?? HttpStatus.INTERNAL_SERVER_ERROR;
      return {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message: 'internal server error',
        requestId: request.id,
      };
    }
    // A message may quote the client's input (an unknown field): never its control characters.
    const body: ErrorBody = {
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      message: printable(messageOf(exception)),
    };
    if (exception instanceof ValidationFailedException) {
      body.fields = exception.fields.map(({ field, message }) => ({
        field: printable(field),
        message: printable(message),
      }));
    }
    return body;
  }
}

/** The HTTP status of a Nest exception or of another error that carries one (http-errors). */
function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}

function messageOf(exception: unknown): string {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
    return exception.message;
  }
  return (exception as Error).message;
}
