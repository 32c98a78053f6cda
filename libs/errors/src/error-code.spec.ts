import { errorCode } from './error-code';
import { DomainError } from './domain-error';

describe('errorCode', () => {
  it.each([
    ['a refusal of the domain', new DomainError('SOLD_OUT', 'Not enough tickets'), 'SOLD_OUT'],
    ['a refused connection', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'UNAVAILABLE'],
    ['a bug', new TypeError('x is undefined'), 'INTERNAL'],
    ['a thrown string', 'boom', 'INTERNAL'],
  ])('given %s, when asked, then its code is %s', (_what, error, code) => {
    expect(errorCode(error)).toBe(code);
  });
});
