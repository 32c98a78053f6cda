import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OrderIdParam } from '@boxoffice/contracts/id-param.dto';
import { PaymentView } from '@boxoffice/contracts/payment/payment.dto';
import { AnswersErrors } from '@boxoffice/http/answers-errors.decorator';
import { PaymentsService } from './payments.service';

@ApiTags('payments')
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Get(':orderId')
  @ApiOkResponse({ type: PaymentView })
  @AnswersErrors('VALIDATION_FAILED', 'PAYMENT_NOT_FOUND', 'UNAVAILABLE', 'INTERNAL')
  get(@Param() { orderId }: OrderIdParam): Promise<PaymentView> {
    return this.payments.get(orderId);
  }
}
