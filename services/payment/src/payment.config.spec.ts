import { PaymentConfig } from './payment.config';

describe('PaymentConfig', () => {
  it('given no settings, when read, then every default works against local infrastructure', () => {
    const config = new PaymentConfig({});

    expect(config).toMatchObject({
      http: { host: '127.0.0.1', port: 8003 },
      database: { schema: 'payment' },
      messaging: { url: 'amqp://guest:guest@127.0.0.1:5672' },
      outbox: { maxAttempts: 10 },
      gatewayDeclineRate: 0,
    });
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
      OUTBOX_MAX_ATTEMPTS: '3',
      RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672/t_vhost',
    });

    expect(config).toMatchObject({
      gatewayDeclineRate: 0.25,
      gatewayLatencyMs: 0,
      messaging: { retryDelayMs: 200, url: 'amqp://guest:guest@127.0.0.1:5672/t_vhost' },
      outbox: { maxAttempts: 3 },
    });
  });
});
