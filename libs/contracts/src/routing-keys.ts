// Routing keys on the `boxoffice.events` topic exchange (SPEC §5); each is the name of the event.
export const ROUTING_KEYS = {
  orderCreated: 'order_created',
  paymentResult: 'payment_result',
  orderCancelled: 'order_cancelled',
} as const;

export type RoutingKey = (typeof ROUTING_KEYS)[keyof typeof ROUTING_KEYS];
