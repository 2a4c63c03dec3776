import {
  BadRequestException,
  type HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import bodyParser from 'body-parser';
import type { NextFunction, Request, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { ValidationFailedException } from '../validation.js';
import { findInputProblems } from './input-problems.js';
import { jsonNestingExceeds } from './json-nesting.js';
import { urlProblem } from './url-problems.js';

/** The largest body read (after decompression); README "Limits". */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The deepest nesting of arrays/objects a body may have; the deepest real one is about 5. */
export const MAX_JSON_DEPTH = 32;
/** SCIM clients send application/scim+json (RFC 7644 §3.1); it is JSON like any other. */
const JSON_TYPES = ['application/json', 'application/scim+json'];

const NOT_JSON = 'the request body must be JSON (Content-Type: application/json)';
const NOT_UTF8 = 'the request body must be UTF-8 (charset=utf-8)';

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/** A body our `verify` refused; body-parser hands it on as its error, and it is unwrapped. */
class RefusedBody extends Error {
  constructor(readonly exception: HttpException) {
    super(exception.message);
  }
}

function checkUrl(req: Request, _res: Response, next: NextFunction): void {
  const problem = urlProblem(req.originalUrl);
  next(problem === undefined ? undefined : new BadRequestException(problem));
}

/** 415 for a body that is not JSON; a request without a body needs no Content-Type. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
  next(hasBody && !req.is(JSON_TYPES) ? new UnsupportedMediaTypeException(NOT_JSON) : undefined);
}

/**
 * What is wrong with a body's raw bytes, read before they are decoded (which would turn bad
 * bytes into U+FFFD) and parsed.
 */
function rawBodyProblem(bytes: Buffer, charset: string): HttpException | undefined {
  if (!/^utf-?8$/i.test(charset)) return new UnsupportedMediaTypeException(NOT_UTF8);
  if (!isUtf8(bytes)) return new BadRequestException('the request body is not valid UTF-8');
  if (jsonNestingExceeds(bytes, MAX_JSON_DEPTH)) {
    return new BadRequestException(
      `the request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
    );
  }
  return undefined;
}

const jsonParser = bodyParser.json({
  limit: MAX_BODY_BYTES,
  type: JSON_TYPES,
  strict: true,
  verify: (_req, _res, bytes: Buffer, charset: string) => {
    const problem = rawBodyProblem(bytes, charset);
    if (problem) throw new RefusedBody(problem);
  },
});

/** body-parser's errors in our words (its own messages quote the parser and the input). */
function bodyError(error: unknown): unknown {
  if (error instanceof RefusedBody) return error.exception;
  const { type, status } = error as { type?: unknown; status?: unknown };
  switch (type) {
    case 'entity.parse.failed':
      // `cause` lets SCIM answer scimType invalidSyntax.
      return new BadRequestException('the request body is not valid JSON', { cause: error });
    case 'entity.too.large':
      return new PayloadTooLargeException(
        `the request body is larger than ${MAX_BODY_BYTES} bytes`,
      );
    case 'charset.unsupported':
      return new UnsupportedMediaTypeException(NOT_UTF8);
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeException('Content-Encoding must be gzip, deflate or br');
    default:
      // An aborted or mis-sized upload is the client's; anything else is ours (a 500).
      return typeof status === 'number' && status < 500
        ? new BadRequestException('the request body could not be read')
        : error;
  }
}

function parseJsonBody(req: Request, res: Response, next: NextFunction): void {
  jsonParser(req, res, (error?: unknown) => next(error ? bodyError(error) : undefined));
}

/** NUL, unpaired surrogates and prototype-named keys in the parsed query and body. */
function checkParsedInput(req: Request, _res: Response, next: NextFunction): void {
  const problems = [...findInputProblems(req.query), ...findInputProblems(req.body)];
  next(problems.length ? new ValidationFailedException(problems) : undefined);
}

/**
 * Where every request's input enters, before any guard, pipe or controller (SCIM's too):
 * the URL, the Content-Type, the JSON body (size, UTF-8, nesting), then the parsed query and
 * body. Anything refused here is a 4xx in the API's error shape (SCIM's on SCIM paths).
 */
export const inputEdge: Middleware[] = [checkUrl, requireJsonBody, parseJsonBody, checkParsedInput];
