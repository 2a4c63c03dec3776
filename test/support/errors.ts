import { expect } from '@jest/globals';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'supertest';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: { field: string; message: string }[];
}

/** The one error shape: exactly {statusCode, error, message} (+ `fields` on validation). */
export function expectError(
  res: Response,
  status: number,
  opts: { fields?: boolean } = {},
): ErrorBody {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.body as ErrorBody;
  const keys = opts.fields
    ? ['error', 'fields', 'message', 'statusCode']
    : ['error', 'message', 'statusCode'];
  expect(Object.keys(body).sort()).toEqual(keys);
  expect(body.statusCode).toBe(status);
  expect(body.error).toBe(STATUS_CODES[status]);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  return body;
}
