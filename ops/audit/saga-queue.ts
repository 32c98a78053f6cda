/**
 * Consumer queues `<service>.<routing key>`, their retry tiers `.retry`, `.retry.<n>` and their `.dlq`
 * (docs/contract.md §5); the audit wants every one of them empty once the system is quiet.
 */
const SAGA_QUEUE = /^[a-z]+\.[a-z_]+(\.retry(\.[0-9]+)?|\.dlq)?$/;

export function isSagaQueue(name: string): boolean {
  return SAGA_QUEUE.test(name);
}
