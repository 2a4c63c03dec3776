import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429; the error filter adds the `Retry-After` header. */
export class TooManyRequestsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}
