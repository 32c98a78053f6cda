// Routing keys on the `boxoffice.events` topic exchange (docs/contract.md §5); each names the message it routes.
export const ROUTING_KEYS = {
  orderCreated: 'order_created',
  paymentResult: 'payment_result',
  orderCancelled: 'order_cancelled',
  paymentCancelled: 'payment_cancelled',
} as const;

export type RoutingKey = (typeof ROUTING_KEYS)[keyof typeof ROUTING_KEYS];
