import { MessageDuplicator } from '../message-duplicator';
import type { Scenario } from '../scenario';

export const duplicateStorm: Scenario = {
  name: 'duplicate-storm',
  fault:
    'for 20 s every saga message is delivered twice, the copy up to 3 s later (often after the next step)',
  faultMs: 20_000,
  async inject(stack) {
    const duplicator = await MessageDuplicator.start(stack.rabbitmq.url, 3_000);
    return async () => {
      await duplicator.stop();
      if (!duplicator.copies) throw new Error('duplicate-storm: no message was copied');
    };
  },
};
