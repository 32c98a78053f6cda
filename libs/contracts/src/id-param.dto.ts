import { Matches } from 'class-validator';
import { ID_PATTERN, ID_RULE } from './identifiers';

export class EventIdParam {
  @Matches(ID_PATTERN, { message: `eventId ${ID_RULE}` })
  eventId!: string;
}

export class OrderIdParam {
  @Matches(ID_PATTERN, { message: `orderId ${ID_RULE}` })
  orderId!: string;
}
