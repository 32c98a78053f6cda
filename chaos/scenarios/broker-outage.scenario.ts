import type { Scenario } from '../scenario';

export const brokerOutage: Scenario = {
  name: 'broker-outage',
  fault: 'RabbitMQ stopped for 20 s mid-sale (rabbitmqctl stop), then started again',
  faultMs: 20_000,
  async inject(stack) {
    await stack.rabbitmq.stop();
    return () => stack.rabbitmq.resume();
  },
};
