import { DomainError } from './domain-error';
import { isDependencyDown } from './dependency-down';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isDependencyDown', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['Postgres shutting down', withCode('57P01')],
    ['a statement timeout', withCode('57014')],
    ['a query Postgres never answered (pg query_timeout)', new Error('Query read timeout')],
    [
      'a read-only Postgres (failover to a replica)',
      withCode('25006', 'cannot execute UPDATE in a read-only transaction'),
    ],
    ['a serialization failure', withCode('40001')],
    ['a deadlock', withCode('40P01')],
    ['Redis loading its data', new Error('LOADING Redis is loading the dataset in memory')],
    ['a read-only Redis replica', new Error("READONLY You can't write against a read only replica.")],
    ['Redis out of memory', new Error("OOM command not allowed when used memory > 'maxmemory'.")],
    ['an UNAVAILABLE domain error', new DomainError('UNAVAILABLE', 'inventory did not answer')],
  ])(
    'given %s, when classified, then the dependency is down (503, retried without limit)',
    (_what, error) => {
      expect(isDependencyDown(error)).toBe(true);
    },
  );

  it.each([
    ['a unique violation', withCode('23505')],
    ['a check violation', withCode('23514')],
    ['a refusal of the domain', new DomainError('SOLD_OUT', 'Not enough tickets')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a thrown string', 'boom'],
  ])('given %s, when classified, then it is not (a 4xx, or a bug)', (_what, error) => {
    expect(isDependencyDown(error)).toBe(false);
  });
});
