import { TEST_TOKENS } from '@boxoffice/testing/test-tokens';
import { OrderConfig } from './order.config';

const BASE = { SERVICE_TOKEN: TEST_TOKENS.SERVICE_TOKEN };

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
