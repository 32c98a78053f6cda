import { DomainError } from '@boxoffice/errors/domain-error';
import { schemaValidationFailed } from './validation';

describe("schemaValidationFailed: a route's JSON Schema errors as the contract's 400", () => {
  it('given errors of several keywords, when formatted, then one VALIDATION_FAILED with one details entry per field', () => {
    // given (as Fastify's Ajv reports them with allErrors)
    const errors = [
      { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'admin' } },
      { keyword: 'required', instancePath: '', params: { missingProperty: 'eventId' } },
      { keyword: 'type', instancePath: '/quantity', params: { type: 'integer' }, message: 'must be integer' },
      { keyword: 'minimum', instancePath: '/quantity', params: {}, message: 'must be >= 1' },
      { keyword: 'type', instancePath: '', params: { type: 'object' }, message: 'must be object' },
    ];

    // when
    const error = schemaValidationFailed(errors);

    // then
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([
      { field: 'admin', messages: ['property admin should not exist'] },
      { field: 'eventId', messages: ['eventId is required'] },
      { field: 'quantity', messages: ['quantity must be integer', 'quantity must be >= 1'] },
      { field: 'body', messages: ['body must be object'] },
    ]);
  });
});
