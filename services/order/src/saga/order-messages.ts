import { createHash } from 'node:crypto';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import type { OutgoingMessage } from '@boxoffice/messaging/message-publisher';
import type { Order } from './order.entity';

// The saga's commands, built from the order's row alone, so that the saga's driver sends each again as it was first
// sent: the same payload under the same messageId (docs/contract.md §5, AMQP properties).

/** A fixed namespace of the order service's message ids (a UUID of its own, RFC 9562 §5.5). */
const NAMESPACE = Buffer.from('6f2b9c1e5d4a4e0b8c7f3a2d1e0f9b8a', 'hex');

/**
 * The messageId of an order's `routingKey` message: a name-based UUID (version 5) of the two, the same in every
 * instance and on every send, with nothing stored for it.
 */
export function messageIdOf(routingKey: string, orderId: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${routingKey}:${orderId}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `order_created`: charge this order. */
export function orderCreated(order: Order): OutgoingMessage {
  const payload: OrderCreatedMessage = {
    version: 1,
    orderId: order.orderId,
    eventId: order.eventId,
    userId: order.userId,
    quantity: order.quantity,
    amount: order.amount,
    currency: order.currency,
    paymentToken: order.paymentToken,
    createdAt: order.createdAt.toISOString(),
  };
  return commandOf(ROUTING_KEYS.orderCreated, order.orderId, payload);
}

/** `order_cancelled` of a CANCELLED order: refund any charge, and answer payment_cancelled. */
export function orderCancelled(order: Pick<Order, 'orderId' | 'reason' | 'cancelledAt'>): OutgoingMessage {
  const payload: OrderCancelledMessage = {
    version: 1,
    orderId: order.orderId,
    reason: order.reason!,
    cancelledAt: order.cancelledAt!.toISOString(),
  };
  return commandOf(ROUTING_KEYS.orderCancelled, order.orderId, payload);
}

function commandOf(routingKey: string, orderId: string, payload: object): OutgoingMessage {
  return { messageId: messageIdOf(routingKey, orderId), routingKey, correlationId: orderId, payload };
}
