import { IdField } from './field.decorator';

export class EventIdParam {
  @IdField({ example: 'final' })
  eventId!: string;
}

export class OrderIdParam {
  @IdField({ example: '9b2f6c3e-2d1a-4c52-9a57-0e4f8f1d6a11' })
  orderId!: string;
}
