import { Injectable } from '@nestjs/common';
import type { Response } from 'express';

/** Requests this process has accepted and not yet answered (one input of the adaptive limits). */
@Injectable()
export class InFlightRequests {
  private count = 0;

  get current(): number {
    return this.count;
  }

  /** Counts the request until its response finishes or the connection closes. */
  track(res: Response): void {
    this.count++;
    res.once('close', () => this.count--);
  }
}
