import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { addToOutbox } from '@boxoffice/outbox/outbox';
import { orderNotTaken } from '../request/order-id-claim';
import { Order } from './order.entity';
import { orderCreated } from './order-messages';
import { toOrderView } from './order.view';
import type { OrderRequest, OrderToRecord } from './order-saga-types';
import { inOrderTransaction, recordedOrder } from './order-transaction';

/** A lost COMMIT answer is looked into until the request's deadline, and at least this long, before it is unknown. */
const LOST_ANSWER_MIN_MS = 1000;

const logger = new Logger('order-saga');

/**
 * Step 2's recording: the order row and its order_created, atomically, unless a racing request with the same id
 * (its Idempotency-Key's claim) decided first: then what it decided. A COMMIT whose answer was lost may have taken
 * effect: what Postgres kept then decides the answer. Throws the 503 when the order was provably not recorded. The
 * order waits for payment (step PAYMENT); its order_created is sent again after `firstAttemptMs` unless answered.
 */
export async function recordOrder(
  db: DataSource,
  { orderId, request, hold, claim, deadline }: OrderToRecord,
  firstAttemptMs: number,
): Promise<OrderView | DomainError> {
  let decided: OrderView | DomainError | undefined;
  let committing = false;
  try {
    decided = await inOrderTransaction(db, orderId, deadline, async (tx) => {
      const first = await claim.decided(tx);
      if (first) return first;
      const order = await insertOrder(
        tx,
        { ...request, orderId, amount: hold.unitPrice * hold.quantity, currency: hold.currency },
        firstAttemptMs,
      );
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
  firstAttemptMs: number,
): Promise<OrderView> {
  const repository = tx.getRepository(Order);
  const saved = repository.create({
    ...order,
    status: 'CREATED',
    step: 'PAYMENT',
    reason: null,
    paymentId: null,
  });
  // The saga's driver sends order_created again this long after, on Postgres's clock, unless payment answered.
  const inserted = await repository.insert({
    ...saved,
    nextAttemptAt: () => `now() + make_interval(secs => ${firstAttemptMs / 1000})`,
  });
  Object.assign(saved, inserted.generatedMaps[0]);
  await addToOutbox(tx, orderCreated(saved));
  return toOrderView(saved);
}
