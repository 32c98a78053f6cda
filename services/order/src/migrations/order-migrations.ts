import { CreateOrders1764072100000 } from './1764072100000-create-orders';
import { TimeoutClaims1764600100000 } from './1764600100000-timeout-claims';
import { IdempotencyKeyAge1764600300000 } from './1764600300000-idempotency-key-age';
import { OutboxParking1765152000000 } from './1765152000000-outbox-parking';
import { OutboxTraceContext1765238400000 } from './1765238400000-outbox-trace-context';
import { SagaSteps1765411200000 } from './1765411200000-saga-steps';
import { OutboxSentIndex1765411250000 } from './1765411250000-outbox-sent-index';
import { IdempotencyKeyReleasing1765411300000 } from './1765411300000-idempotency-key-releasing';
import { WaitingRooms1765584000000 } from './1765584000000-waiting-rooms';
import { WaitingRoomAuto1765670400000 } from './1765670400000-waiting-room-auto';
import { OrdersEndedIndex1765670500000 } from './1765670500000-orders-ended-index';

/** Order's schema, in the order applied: the service's and the tests that plan its statements. */
export const ORDER_MIGRATIONS = [
  CreateOrders1764072100000,
  TimeoutClaims1764600100000,
  IdempotencyKeyAge1764600300000,
  OutboxParking1765152000000,
  OutboxTraceContext1765238400000,
  SagaSteps1765411200000,
  OutboxSentIndex1765411250000,
  IdempotencyKeyReleasing1765411300000,
  WaitingRooms1765584000000,
  WaitingRoomAuto1765670400000,
  OrdersEndedIndex1765670500000,
];
