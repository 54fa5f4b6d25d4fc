import { Injectable } from '@nestjs/common';

/**
 * Requests this process has accepted and not yet answered (one input of the adaptive limits).
 * Counted by the request edge, which already listens for every response's end: one counter
 * here rather than one more `close` listener per request.
 */
@Injectable()
export class InFlightRequests {
  private count = 0;

  get current(): number {
    return this.count;
  }

  /** A request arrived. */
  enter(): void {
    this.count++;
  }

  /** Its response finished or its connection closed. */
  leave(): void {
    this.count--;
  }
}
