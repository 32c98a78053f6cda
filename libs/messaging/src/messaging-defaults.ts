/**
 * Defaults for every messaging setting: `readMessagingSettings` falls back to these for the environment
 * variables, and the transport and publisher for options left out. The lib never reads the environment itself.
 */
export const MESSAGING_DEFAULTS = {
  /** Unacked deliveries per consumer: enough to keep a handler busy while an ack travels back. */
  prefetch: 50,
  /** Handler runs per message, the first delivery included, before the message goes to the DLQ. */
  maxAttempts: 8,
  /** Pause after the first failed attempt, spent in a retry queue, not in the consumer; doubles after each further one. */
  retryDelayMs: 1_000,
  /**
   * Longest pause between attempts: a dependency back up is noticed within this, and 1 s doubling up to it makes
   * six retry tiers per subscription (1, 2, 4, 8, 16, 30 s).
   */
  retryMaxDelayMs: 30_000,
  /** How long a publish may wait for a channel and its confirm before it is reported as failed. */
  publishTimeoutMs: 5_000,
  /** RabbitMQ's own `max_message_size` default (128 MiB); a larger message closes the publisher's channel. */
  maxMessageBytes: 128 * 1024 * 1024,
  /** A consumed message larger than this is parked unread (`oversized`): saga messages are well under 1 KiB. */
  maxConsumedBytes: 64 * 1024,
  /** A handler still running after this counts as failed; far below RabbitMQ's 30 minute consumer timeout. */
  handlerTimeoutMs: 120_000,
  /**
   * How long after its delivery a message whose retry or dead-letter copy the broker keeps refusing (an alarm, a
   * full queue) is held unacked and its copy tried again; then it goes back to its queue, counting once towards the
   * delivery limit (20: five hours of refusals before the broker parks it). Half RabbitMQ's 30-minute consumer
   * timeout, which would close the channel under every delivery on it.
   */
  forwardPatienceMs: 15 * 60_000,
  /** Short enough that a dead broker or peer is noticed within seconds. */
  heartbeatSeconds: 10,
  reconnectInitialDelayMs: 200,
  reconnectMaxDelayMs: 10_000,
  /** How long boot waits for the consumers to be attached before going on without them. */
  bootWaitMs: 5_000,
  /** How long shutdown waits for running handlers before closing the channel under them. */
  shutdownGraceMs: 10_000,
} as const;
