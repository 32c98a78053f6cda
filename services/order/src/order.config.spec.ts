import { TEST_TOKENS } from '@boxoffice/testing/test-tokens';
import { OrderConfig } from './order.config';

const BASE = { ...TEST_TOKENS };

describe("OrderConfig: the saga driver's interval", () => {
  it('given ORDER_SAGA_DRIVER_INTERVAL_MS, when read at boot, then it is the interval', () => {
    expect(new OrderConfig({ ...BASE, ORDER_SAGA_DRIVER_INTERVAL_MS: '700' }).sagaDriverIntervalMs).toBe(700);
  });

  it('given only the deprecated ORDER_TIMEOUT_SWEEP_INTERVAL_MS, when read at boot, then it is still the interval', () => {
    expect(new OrderConfig({ ...BASE, ORDER_TIMEOUT_SWEEP_INTERVAL_MS: '800' }).sagaDriverIntervalMs).toBe(
      800,
    );
  });

  it.each([
    [
      'the deprecated name out of range',
      { ORDER_TIMEOUT_SWEEP_INTERVAL_MS: '10' },
      /ORDER_TIMEOUT_SWEEP_INTERVAL_MS/,
    ],
    [
      'both names',
      { ORDER_TIMEOUT_SWEEP_INTERVAL_MS: '800', ORDER_SAGA_DRIVER_INTERVAL_MS: '700' },
      /deprecated name of ORDER_SAGA_DRIVER_INTERVAL_MS/,
    ],
  ])('given %s, when read at boot, then the service refuses to start', (_, env, problem) => {
    expect(() => new OrderConfig({ ...BASE, ...env })).toThrow(problem);
  });

  it('given nothing set, then the driver looks every 5 s and re-sends after 30 s', () => {
    const config = new OrderConfig(BASE);
    expect({ interval: config.sagaDriverIntervalMs, resend: config.resendAfterMs }).toEqual({
      interval: 5000,
      resend: 30_000,
    });
  });
});

describe('OrderConfig: the hold reconciliation', () => {
  it('given nothing set, then it looks every 30 s at holds older than a minute', () => {
    const config = new OrderConfig(BASE);
    expect([config.holdReconcileIntervalMs, config.holdReconcileAfterSeconds]).toEqual([30_000, 60]);
  });

  it('given a short deadline, when holds are looked at past twice it plus 5 s, then it boots', () => {
    const config = new OrderConfig({
      ...BASE,
      ORDER_REQUEST_DEADLINE_MS: '500',
      ORDER_HOLD_RECONCILE_AFTER_SECONDS: '6',
    });
    expect(config.holdReconcileAfterSeconds).toBe(6);
  });

  it('given holds looked at before twice the request deadline plus 5 s, when read at boot, then the service refuses to start', () => {
    expect(
      () =>
        new OrderConfig({
          ...BASE,
          ORDER_REQUEST_DEADLINE_MS: '30000',
          ORDER_HOLD_RECONCILE_AFTER_SECONDS: '60',
        }),
    ).toThrow(/ORDER_HOLD_RECONCILE_AFTER_SECONDS must be at least twice ORDER_REQUEST_DEADLINE_MS/);
  });
});

describe('OrderConfig: the saga backlog', () => {
  it('given nothing set, then 500 orders of a sale CREATED 5 s or more are the limit', () => {
    const config = new OrderConfig(BASE);
    expect([config.maxSagaBacklog, config.sagaBacklogAfterSeconds]).toEqual([500, 2]);
  });

  it.each(['0', '3600'])(
    'given ORDER_SAGA_BACKLOG_AFTER_SECONDS=%s, when read at boot, then it is the age',
    (value) => {
      expect(
        new OrderConfig({ ...BASE, ORDER_SAGA_BACKLOG_AFTER_SECONDS: value }).sagaBacklogAfterSeconds,
      ).toBe(Number(value));
    },
  );

  it.each(['-1', '3601', '2.5', 'soon'])(
    'given ORDER_SAGA_BACKLOG_AFTER_SECONDS=%s, when read at boot, then the service refuses to start naming it',
    (value) => {
      expect(() => new OrderConfig({ ...BASE, ORDER_SAGA_BACKLOG_AFTER_SECONDS: value })).toThrow(
        /ORDER_SAGA_BACKLOG_AFTER_SECONDS/,
      );
    },
  );
});

describe('OrderConfig: the auto waiting rooms’ bounds', () => {
  it('given nothing set, then auto rooms open at 10 a second, rise by 10 a second up to 2000, and 20 late orders cut them', () => {
    expect(new OrderConfig(BASE).waitingRoom.auto).toEqual({
      minPerSecond: 10,
      maxPerSecond: 2000,
      stepPerSecond: 10,
      lateOrders: 20,
    });
  });

  it.each([
    [
      'a maximum below the minimum',
      { WAITING_ROOM_AUTO_MIN_PER_SECOND: '50', WAITING_ROOM_AUTO_MAX_PER_SECOND: '40' },
      /WAITING_ROOM_AUTO_MAX_PER_SECOND must be at least WAITING_ROOM_AUTO_MIN_PER_SECOND/,
    ],
    [
      'late orders at the backlog limit (the limit would refuse orders before the room slows)',
      { WAITING_ROOM_AUTO_LATE_ORDERS: '500' },
      /WAITING_ROOM_AUTO_LATE_ORDERS must be below ORDER_MAX_SAGA_BACKLOG/,
    ],
    ['a step of 0', { WAITING_ROOM_AUTO_STEP_PER_SECOND: '0' }, /WAITING_ROOM_AUTO_STEP_PER_SECOND/],
  ])('given %s, when read at boot, then the service refuses to start naming it', (_, env, problem) => {
    expect(() => new OrderConfig({ ...BASE, ...env })).toThrow(problem);
  });

  it('given a small backlog limit and WAITING_ROOM_AUTO_LATE_ORDERS unset, when read at boot, then late orders are half the limit', () => {
    const config = new OrderConfig({ ...BASE, ORDER_MAX_SAGA_BACKLOG: '3' });

    expect(config.waitingRoom.auto.lateOrders).toBe(1);
    expect(new OrderConfig({ ...BASE, ORDER_MAX_SAGA_BACKLOG: '12' }).waitingRoom.auto.lateOrders).toBe(6);
  });

  it('given no backlog limit (ORDER_MAX_SAGA_BACKLOG=0), when many late orders cut the rate, then it boots', () => {
    const config = new OrderConfig({
      ...BASE,
      ORDER_MAX_SAGA_BACKLOG: '0',
      WAITING_ROOM_AUTO_LATE_ORDERS: '5000',
    });

    expect(config.waitingRoom.auto.lateOrders).toBe(5000);
  });
});
