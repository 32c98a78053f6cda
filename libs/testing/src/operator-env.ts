import type { TestCorner } from './test-corner';
import { TEST_RABBITMQ_MANAGEMENT_URL } from './test-vhost';

/** What an operator's tool (audit, monitor, sale) is given to reach the stack a test started in `corner`. */
export function operatorEnv(
  corner: TestCorner,
  urls: { inventory: string; order: string; payment: string },
): Record<string, string> {
  return {
    ...corner.env('inventory'),
    ...corner.env('order'),
    ...corner.env('payment'),
    RABBITMQ_MANAGEMENT_URL: TEST_RABBITMQ_MANAGEMENT_URL,
    INVENTORY_URL: urls.inventory,
    ORDER_URL: urls.order,
    PAYMENT_URL: urls.payment,
  };
}
