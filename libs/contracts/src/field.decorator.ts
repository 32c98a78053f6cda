import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ID_PATTERN, ID_RULE } from './identifiers';

// Each rule of a contract field is written once: the same decorator validates it and describes it in /docs/json.

interface FieldOptions {
  optional?: boolean;
  description?: string;
  example?: unknown;
}

function described(schema: ApiPropertyOptions, { optional, description, example }: FieldOptions) {
  const documented = (optional ? ApiPropertyOptional : ApiProperty)({ ...schema, description, example });
  return optional ? applyDecorators(IsOptional(), documented) : documented;
}

/** An identifier (docs/contract.md §2): `eventId`, `userId`, `orderId`... */
export function IdField(options: FieldOptions = {}): PropertyDecorator {
  return (target, key) =>
    applyDecorators(
      Matches(ID_PATTERN, { message: `${String(key)} ${ID_RULE}` }),
      described({ type: String, pattern: ID_PATTERN.source, maxLength: 64 }, options),
    )(target, key);
}

export function IntegerField(
  minimum: number,
  maximum: number,
  options: FieldOptions = {},
): PropertyDecorator {
  return applyDecorators(
    IsInt(),
    Min(minimum),
    Max(maximum),
    described({ type: 'integer', minimum, maximum }, options),
  );
}

export function TextField(
  minLength: number,
  maxLength: number,
  options: FieldOptions = {},
): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Length(minLength, maxLength),
    described({ type: String, minLength, maxLength }, options),
  );
}

/** A string that must match `pattern`; `rule` is the validation message a client sees. */
export function PatternField(pattern: RegExp, rule: string, options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    Matches(pattern, { message: rule }),
    described({ type: String, pattern: pattern.source }, options),
  );
}
