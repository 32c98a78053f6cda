import { Controller, Get, Param } from '@nestjs/common';
import { OrderIdParam } from '@boxoffice/contracts/id-param.dto';
import type { PaymentView } from '@boxoffice/contracts/payment/payment.dto';
import { PaymentsService } from './payments.service';

@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Get(':orderId')
  get(@Param() { orderId }: OrderIdParam): Promise<PaymentView> {
    return this.payments.get(orderId);
  }
}
