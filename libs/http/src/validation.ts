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

/** What Fastify's Ajv reports of one failed keyword (the fields read here). */
interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * Fastify's `schemaErrorFormatter`: a route's JSON Schema errors as the same 400 VALIDATION_FAILED, one `details`
 * entry per offending field, that the validation pipe answers.
 */
export function schemaValidationFailed(errors: SchemaError[]): DomainError {
  const byField = new Map<string, string[]>();
  for (const error of errors) {
    const { field, message } = describe(error);
    byField.set(field, [...(byField.get(field) ?? []), message]);
  }
  const details = [...byField].map(([field, messages]) => ({ field, messages }));
  return new DomainError('VALIDATION_FAILED', 'The request is not valid', details);
}

function describe({ keyword, instancePath, params, message }: SchemaError): {
  field: string;
  message: string;
} {
  if (keyword === 'additionalProperties') {
    const field = String(params.additionalProperty);
    return { field, message: `property ${field} should not exist` };
  }
  if (keyword === 'required') {
    const field = String(params.missingProperty);
    return { field, message: `${field} is required` };
  }
  const field = instancePath.slice(1).replaceAll('/', '.') || 'body';
  return { field, message: `${field} ${message ?? 'is not valid'}` };
}
