/** What a handler learns about the delivery besides its payload (`@Ctx()` in an `@OnMessage` handler). */
export interface MessageContext {
  /** The consumer queue, `<service>.<routing key>`. */
  readonly queue: string;
  readonly routingKey: string;
  /** Stable across re-publication: the key for deduplicating effects. */
  readonly messageId?: string;
  readonly correlationId?: string;
  /** 1 on the first delivery, then 2, 3, ... up to the subscription's max attempts. */
  readonly attempt: number;
  /** The broker delivered it before (a consumer died holding it): the handler may have run already. */
  readonly redelivered: boolean;
  readonly publishedAt?: Date;
  readonly publishedBy?: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /**
   * Aborted when the handler ran out of time (`handlerTimeoutMs`) or the consumer is stopping: pass it to slow
   * calls (HTTP, queries) and end soon after. The consumer waits for the handler's end before the message is
   * tried again or the consumer stops, so an abandoned run never goes on beside its retry.
   */
  readonly signal: AbortSignal;
}
