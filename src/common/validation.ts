import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { ValidateIf, type ValidationError } from 'class-validator';

export interface FieldError {
  field: string;
  message: string;
}

/** A 400 that names each offending field: `{statusCode, error, message, fields}`. */
export class ValidationFailedException extends BadRequestException {
  constructor(readonly fields: FieldError[]) {
    super(fields.map((f) => f.message).join('; '));
  }
}

/** class-validator's tree of errors as a flat list of `field: message`, with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    // Several constraints of one field may share a message (say it once).
    const messages = new Set(Object.values(error.constraints ?? {}));
    const own = [...messages].map((message) => ({
      field,
      message: error.constraints?.whitelistValidation
        ? `${field} is not an allowed field`
        : prefix
          ? `${prefix}.${message}`
          : message,
    }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** Every DTO in the API: unknown fields are refused, nothing is coerced implicitly. */
export function strictValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedException(flattenValidationErrors(errors)),
  });
}

/** May be left out, but not sent as null (unlike @IsOptional, which lets null through). */
export const IsOmittable = () => ValidateIf((_object, value) => value !== undefined);
