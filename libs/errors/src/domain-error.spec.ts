import { DomainError } from './domain-error';

describe('DomainError', () => {
  it('given a refusal (a 4xx code), when made, then it carries no stack frames and Error.stackTraceLimit is as before', () => {
    // given
    const limit = Error.stackTraceLimit;

    // when
    const refusal = new DomainError('SOLD_OUT', 'Not enough tickets left for final');

    // then
    expect(refusal.stack).toBe('Error: Not enough tickets left for final');
    expect(refusal).toMatchObject({ code: 'SOLD_OUT', message: 'Not enough tickets left for final' });
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('given a 5xx code, when made, then its stack says where it was made', () => {
    // when
    const failure = new DomainError('UNAVAILABLE', 'inventory did not answer');

    // then
    expect(failure.stack).toMatch(/\n\s+at .*domain-error\.spec\.ts/);
  });

  it('given details, when made, then they are kept', () => {
    // when
    const invalid = new DomainError('VALIDATION_FAILED', 'The request is not valid', [
      { field: 'quantity', messages: ['quantity must not be greater than 100'] },
    ]);

    // then
    expect(invalid.details).toEqual([
      { field: 'quantity', messages: ['quantity must not be greater than 100'] },
    ]);
  });
});
