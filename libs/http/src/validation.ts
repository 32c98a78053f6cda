import { ValidationError, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { ErrorDetail } from '@boxoffice/contracts/errors/error-codes';
import { DomainError } from '@boxoffice/errors/domain-error';

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Whitelist validation: unknown fields and wrong types are refused with 400 VALIDATION_FAILED, per field. */
export function contractValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new DomainError('VALIDATION_FAILED', 'The request is not valid', flatten(errors)),
  });
}

/**
 * One item of a batch checked as the pipe checks a body (same rules, same details), so that a bad item can be
 * answered on its own: the checked item, or the VALIDATION_FAILED error it would have been answered alone.
 */
export function validateItem<T extends object>(type: new () => T, raw: unknown): T | DomainError {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return new DomainError('VALIDATION_FAILED', 'The item must be a JSON object');
  }
  const item = plainToInstance(type, raw, { enableImplicitConversion: false });
  const errors = validateSync(item, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  return errors.length
    ? new DomainError('VALIDATION_FAILED', 'The item is not valid', flatten(errors))
    : item;
}
