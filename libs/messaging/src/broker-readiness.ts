import { Injectable } from '@nestjs/common';
import type { DependencyState, ReadinessCheck } from '@boxoffice/health/readiness-check';
import type { AmqpConnection } from './amqp-connection';
import type { AmqpMessageTransport } from './amqp-message.transport';

/** The app's consumers as readiness sees them; startMessageTransport hands them over. */
@Injectable()
export class ConsumerStatus {
  private transport?: AmqpMessageTransport;

  watch(transport: AmqpMessageTransport): void {
    this.transport = transport;
  }

  state(): DependencyState {
    if (!this.transport) return { up: false, message: 'consumers not started' };
    const connected = this.transport.unwrap<AmqpConnection>().isConnected();
    const consuming = this.transport.isConsuming();
    return {
      up: connected && consuming,
      connection: connected ? 'connected' : 'disconnected',
      consumers: consuming ? 'consuming' : 'not consuming',
    };
  }
}

/** Up while the consumer connection is open and every queue has its consumer. */
export function brokerReadiness(): ReadinessCheck {
  return {
    name: 'broker',
    providers: [ConsumerStatus],
    probe: async (resolve) => resolve(ConsumerStatus).state(),
  };
}
