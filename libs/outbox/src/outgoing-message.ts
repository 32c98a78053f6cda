/** A message waiting in the outbox, as the relay hands it to the broker. */
export interface OutgoingMessage {
  routingKey: string;
  /** Unique, and the same on every re-publication, so consumers can recognise a duplicate. */
  messageId: string;
  correlationId: string;
  payload: object;
}

/** What the relay needs from the broker side: publish all, with confirms, or reject. */
export interface ConfirmedPublisher {
  publishBatch(messages: OutgoingMessage[]): Promise<void>;
}
