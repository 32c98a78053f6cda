import { randomBytes } from 'node:crypto';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { RabbitManagement } from '@boxoffice/messaging/rabbit-management';

export const TEST_AMQP_URL = process.env.RABBITMQ_URL || INFRASTRUCTURE_DEFAULTS.rabbitmqUrl;
export const TEST_RABBITMQ_MANAGEMENT_URL =
  process.env.RABBITMQ_MANAGEMENT_URL || INFRASTRUCTURE_DEFAULTS.rabbitmqManagementUrl;

/** One test run's own virtual host: its exchanges, queues and connections never meet anyone else's. */
export interface TestVhost {
  readonly name: string;
  /** The AMQP URL of this vhost, with the credentials of TEST_AMQP_URL. */
  readonly url: string;
  readonly management: RabbitManagement;
  /** Deletes the vhost and with it everything declared in it; its connections are closed. */
  dispose(): Promise<void>;
}

export async function createTestVhost(label: string): Promise<TestVhost> {
  const name = `t_${label}_${randomBytes(4).toString('hex')}`;
  const management = new RabbitManagement(TEST_RABBITMQ_MANAGEMENT_URL);
  const user = decodeURIComponent(new URL(TEST_AMQP_URL).username || 'guest');
  await management.request('PUT', `/vhosts/${encodeURIComponent(name)}`);
  await management.request('PUT', `/permissions/${encodeURIComponent(name)}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  const url = new URL(TEST_AMQP_URL);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: url.toString(),
    management,
    dispose: async () => {
      await management.request('DELETE', `/vhosts/${encodeURIComponent(name)}`);
    },
  };
}
