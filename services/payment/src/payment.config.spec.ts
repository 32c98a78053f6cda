import { PaymentConfig } from './payment.config';

describe('PaymentConfig', () => {
  it('given no settings, when read, then every default works against local infrastructure', () => {
    const config = new PaymentConfig({});

    expect(config).toMatchObject({
      http: { host: '127.0.0.1', port: 8003 },
      database: { schema: 'payment', queryTimeoutMs: 10_000 },
      messaging: { url: 'amqp://guest:guest@127.0.0.1:5672', retryDelayMs: 1_000, retryMaxDelayMs: 30_000 },
      outbox: { maxAttempts: 10, notify: true },
      gatewayDeclineRate: 0,
    });
  });

  it('given a retry cap below the first retry delay, when read, then it refuses to boot and names the cap', () => {
    expect(
      () => new PaymentConfig({ MESSAGE_RETRY_DELAY_MS: '2000', MESSAGE_RETRY_MAX_DELAY_MS: '1000' }),
    ).toThrow(/MESSAGE_RETRY_MAX_DELAY_MS must be an integer from 2000/);
  });

  it('given only a first retry delay above the default cap, when read, then that delay is the cap as well', () => {
    expect(new PaymentConfig({ MESSAGE_RETRY_DELAY_MS: '60000' }).messaging).toMatchObject({
      retryDelayMs: 60_000,
      retryMaxDelayMs: 60_000,
    });
  });

  it('given a shutdown delay as long as the shutdown timeout, when read, then it refuses to boot and names the delay', () => {
    expect(() => new PaymentConfig({ SHUTDOWN_TIMEOUT_MS: '5000', SHUTDOWN_DELAY_MS: '5000' })).toThrow(
      /SHUTDOWN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS/,
    );
  });

  it('given OUTBOX_NOTIFY=false, when read, then the outbox does not notify; anything but true or false refuses to boot', () => {
    expect(new PaymentConfig({ OUTBOX_NOTIFY: 'false' }).outbox.notify).toBe(false);
    expect(() => new PaymentConfig({ OUTBOX_NOTIFY: 'off' })).toThrow(/OUTBOX_NOTIFY must be true or false/);
  });

  it('given GATEWAY_DECLINE_RATE=2, when read, then it refuses to boot and names the variable', () => {
    expect(() => new PaymentConfig({ GATEWAY_DECLINE_RATE: '2' })).toThrow(/GATEWAY_DECLINE_RATE/);
  });

  it.each([
    ['GATEWAY_DECLINE_RATE', '-0.1'],
    ['GATEWAY_DECLINE_RATE', 'often'],
    ['GATEWAY_LATENCY_MS', '-1'],
    ['MESSAGE_RETRY_DELAY_MS', '1.5'],
    ['OUTBOX_POLL_INTERVAL_MS', '0'],
    ['OUTBOX_RETENTION_HOURS', '0'],
    ['OUTBOX_MAX_ATTEMPTS', '0'],
    ['OUTBOX_MAX_ATTEMPTS', 'forever'],
    ['PAYMENT_DB_SCHEMA', 'Payment; DROP'],
    ['PAYMENT_DB_QUERY_TIMEOUT_MS', '50'],
    ['RABBITMQ_URL', 'http://127.0.0.1:5672'],
    ['DATABASE_URL', 'not a url'],
  ])('given %s=%j, when read, then it refuses to boot and names the variable', (name, value) => {
    expect(() => new PaymentConfig({ [name]: value })).toThrow(name);
  });

  it('given several bad variables, when read, then it refuses to boot naming every one of them at once', () => {
    const read = () =>
      new PaymentConfig({ GATEWAY_DECLINE_RATE: '2', RABBITMQ_URL: 'http://x', PAYMENT_PORT: 'abc' });

    expect(read).toThrow(/GATEWAY_DECLINE_RATE[\s\S]*RABBITMQ_URL/);
    expect(read).toThrow(/PAYMENT_PORT/);
  });

  it('given valid settings, when read, then they are taken as given', () => {
    const config = new PaymentConfig({
      GATEWAY_DECLINE_RATE: '0.25',
      GATEWAY_LATENCY_MS: '0',
      MESSAGE_RETRY_DELAY_MS: '200',
      MESSAGE_RETRY_MAX_DELAY_MS: '5000',
      OUTBOX_MAX_ATTEMPTS: '3',
      RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672/t_vhost',
    });

    expect(config).toMatchObject({
      gatewayDeclineRate: 0.25,
      gatewayLatencyMs: 0,
      messaging: {
        retryDelayMs: 200,
        retryMaxDelayMs: 5_000,
        url: 'amqp://guest:guest@127.0.0.1:5672/t_vhost',
      },
      outbox: { maxAttempts: 3 },
    });
  });
});
