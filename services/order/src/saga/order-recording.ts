import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { DomainError } from '@boxoffice/errors/domain-error';
import { addToOutbox } from '@boxoffice/outbox/outbox';
import { orderNotTaken } from '../request/order-id-claim';
import { Order } from './order.entity';
import { toOrderView } from './order.view';
import type { OrderRequest, OrderToRecord } from './order-saga-types';
import { inOrderTransaction, recordedOrder } from './order-transaction';

/** A lost COMMIT answer is looked into until the request's deadline, and at least this long, before it is unknown. */
const LOST_ANSWER_MIN_MS = 1000;

const logger = new Logger('order-saga');

/**
 * Step 2's recording: the order row and its order_created, atomically, unless a racing request with the same id
 * (its Idempotency-Key's claim) decided first: then what it decided. A COMMIT whose answer was lost may have taken
 * effect: what Postgres kept then decides the answer. Throws the 503 when the order was provably not recorded.
 */
export async function recordOrder(
  db: DataSource,
  { orderId, request, hold, claim, deadline }: OrderToRecord,
): Promise<OrderView | DomainError> {
  let decided: OrderView | DomainError | undefined;
  let committing = false;
  try {
    decided = await inOrderTransaction(db, orderId, deadline, async (tx) => {
      const first = await claim.decided(tx);
      if (first) return first;
      const order = await insertOrder(tx, {
        ...request,
        orderId,
        amount: hold.unitPrice * hold.quantity,
        currency: hold.currency,
      });
      await claim.recorded(tx, order);
      committing = true;
      return order;
    });
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const why = (error as Error).message;
    if (committing) decided = await recordedOrder(db, orderId, deadline.atLeast(LOST_ANSWER_MIN_MS));
    if (!decided) {
      logger.warn(`order ${orderId} not recorded: ${why}`);
      throw orderNotTaken();
    }
    logger.warn(`order ${orderId} recorded, though the answer to its COMMIT was lost: ${why}`);
  }
  return decided;
}

async function insertOrder(
  tx: EntityManager,
  order: OrderRequest & Pick<Order, 'orderId' | 'amount' | 'currency'>,
): Promise<OrderView> {
  const repository = tx.getRepository(Order);
  const saved = repository.create({ ...order, status: 'CREATED', reason: null, paymentId: null });
  Object.assign(saved, (await repository.insert(saved)).generatedMaps[0]);
  const message: OrderCreatedMessage = {
    version: 1,
    orderId: saved.orderId,
    eventId: saved.eventId,
    userId: saved.userId,
    quantity: saved.quantity,
    amount: saved.amount,
    currency: saved.currency,
    paymentToken: saved.paymentToken,
    createdAt: saved.createdAt.toISOString(),
  };
  await addToOutbox(tx, {
    routingKey: ROUTING_KEYS.orderCreated,
    correlationId: saved.orderId,
    payload: message,
  });
  return toOrderView(saved);
}
