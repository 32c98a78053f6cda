import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

export class InvalidMessageError extends Error {}

/** Turns an untrusted decoded body into a checked message, or throws InvalidMessageError naming the bad fields. */
export function validateMessage<T extends object>(type: new () => T, raw: unknown): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidMessageError(`${type.name}: body must be a JSON object`);
  }
  const message = plainToInstance(type, raw, { enableImplicitConversion: false });
  const errors = validateSync(message, { whitelist: true, forbidUnknownValues: true });
  if (errors.length) {
    const fields = errors.map((e) => `${e.property} (${Object.values(e.constraints ?? {}).join('; ')})`);
    throw new InvalidMessageError(`${type.name}: invalid ${fields.join(', ')}`);
  }
  return message;
}
