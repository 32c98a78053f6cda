/**
 * Consumer queues `<service>.<routing key>`, their retry tiers `.retry`, `.retry.<n>` and their `.dlq`
 * (docs/contract.md §5); the audit wants every one of them empty once the system is quiet.
 */
const SAGA_QUEUE = /^[a-z]+\.[a-z_]+(\.retry(\.[0-9]+)?|\.dlq)?$/;

export function isSagaQueue(name: string): boolean {
  return SAGA_QUEUE.test(name);
}

/** The consumer queue a retry tier or DLQ belongs to (`payment.order_created.retry.3` → `payment.order_created`). */
export function consumerQueueOf(name: string): string {
  return name.replace(/\.retry(\.[0-9]+)?$|\.dlq$/, '');
}
