import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

export interface RequestWithId extends Request {
  id?: string;
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Every request gets an id (the caller's `X-Request-Id` when sane), echoed in the response. */
export function requestId(req: RequestWithId, res: Response, next: NextFunction): void {
  const offered = req.header('x-request-id');
  req.id = offered && SAFE_ID.test(offered) ? offered : randomUUID();
  res.setHeader('X-Request-Id', req.id);
  next();
}
