import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorBody, type ErrorCode } from '@boxoffice/contracts/errors/error-codes';

/** What every route taking a JSON body can answer besides its own refusals. */
export const BODY_ERRORS: ErrorCode[] = ['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds; asking again is safe', schema: { type: 'integer', example: 1 } },
};

/**
 * Documents the contract error codes a route answers (docs/contract.md): one response per HTTP status, its body
 * the error body with `code` narrowed to the codes of that status. `ProblemFilter` decides the statuses at run time
 * from the same table, ERROR_STATUS.
 */
export function AnswersErrors(...codes: ErrorCode[]): MethodDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes)
    byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return applyDecorators(
    ApiExtraModels(ErrorBody),
    ...[...byStatus].map(([status, answered]) =>
      ApiResponse({
        status,
        description: answered.join(', '),
        ...((status === 503 || status === 429) && { headers: RETRY_AFTER }),
        schema: {
          allOf: [{ $ref: getSchemaPath(ErrorBody) }],
          properties: { code: { type: 'string', enum: answered } },
        },
      }),
    ),
  );
}
