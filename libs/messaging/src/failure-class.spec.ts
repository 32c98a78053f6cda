import { DomainError } from '@boxoffice/errors/domain-error';
import { RefundRefusedError } from '@boxoffice/errors/refund-refused';
import { classifyFailure, HandlerAborted, PoisonMessage } from './failure-class';

class ScriptedOutage extends Error {}

describe('classifyFailure', () => {
  it.each([
    ['a body that is not JSON', new PoisonMessage('malformed-json', 'Unexpected token'), 'poison'],
    [
      'a payload its validator refuses',
      new PoisonMessage('invalid-payload', 'orderId must be a string'),
      'poison',
    ],
    ['a handler past its timeout', new HandlerAborted('handler still running after 120000 ms'), 'transient'],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'transient',
    ],
    [
      'a peer answering 503 UNAVAILABLE',
      new DomainError('UNAVAILABLE', 'inventory answered 503'),
      'transient',
    ],
    ['a Postgres deadlock', Object.assign(new Error('deadlock detected'), { code: '40P01' }), 'transient'],
    ['a peer answering 500 INTERNAL', new DomainError('INTERNAL', 'inventory answered 500 INTERNAL'), 'bug'],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'orderId')"), 'bug'],
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' }), 'bug'],
    ['something thrown that is not an Error', 'boom', 'bug'],
    ['a refund the processor refuses', new RefundRefusedError('order-1', 'refund_refused'), 'bug'],
    [
      'a refused refund whose reason reads like an outage',
      new RefundRefusedError('order-1', 'Connection terminated by the issuer'),
      'bug',
    ],
  ])('given %s, when classified, then it is %s', (_what, error, expected) => {
    expect(classifyFailure(error)).toBe(expected);
  });

  it('given a consumer that knows an error of its own to be transient, when classified, then it is transient, and a poison message stays poison', () => {
    const isTransient = (error: unknown) => error instanceof ScriptedOutage || error instanceof PoisonMessage;

    expect(classifyFailure(new ScriptedOutage('down'), isTransient)).toBe('transient');
    expect(classifyFailure(new PoisonMessage('oversized', 'too big'), isTransient)).toBe('poison');
    expect(classifyFailure(new Error('down'), isTransient)).toBe('bug');
  });

  it('given a consumer whose isTransient takes every error, when a refused refund is classified, then it is still a bug (parked and alerted)', () => {
    expect(classifyFailure(new RefundRefusedError('order-1', 'refund_refused'), () => true)).toBe('bug');
  });
});
