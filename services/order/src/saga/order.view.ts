import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import type { Order } from './order.entity';

export function toOrderView(order: Order): OrderView {
  return {
    orderId: order.orderId,
    eventId: order.eventId,
    userId: order.userId,
    quantity: order.quantity,
    amount: order.amount,
    currency: order.currency,
    status: order.status,
    ...(order.reason ? { reason: order.reason } : {}),
    ...(order.paymentId ? { paymentId: order.paymentId } : {}),
    ...(order.status === 'CANCELLED' ? { compensation: order.step === 'DONE' ? 'COMPLETE' : 'PENDING' } : {}),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
