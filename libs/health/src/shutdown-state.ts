import { Injectable } from '@nestjs/common';

/** Set once a stop signal came: from then on `GET /health/ready` answers 503 `shutting down`. */
@Injectable()
export class ShutdownState {
  private signal?: string;

  begin(signal: string): void {
    this.signal ??= signal;
  }

  get shuttingDown(): boolean {
    return this.signal !== undefined;
  }
}
