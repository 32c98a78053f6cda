import { Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Hands a message handler's error to the transport unchanged. Nest's default RPC filter replaces
 * any non-RpcException with "Internal server error", and then the retry and DLQ headers could not
 * say what went wrong. Register it on the microservice, deferring its initialisation so the filter
 * is in place before Nest wires the handlers:
 * `app.connectMicroservice({ strategy }, { deferInitialization: true }).useGlobalFilters(new MessageFailureFilter())`.
 */
@Catch()
export class MessageFailureFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
