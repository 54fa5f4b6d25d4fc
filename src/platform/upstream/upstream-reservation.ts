import type { UpstreamInstance } from './upstream-instance';
import type { UpstreamResponse } from './upstream-response';
import type { UpstreamRequest } from './upstream.types';

/**
 * One bulkhead slot of one instance, held from {@link UpstreamPool.reserve} until
 * {@link release}: for upstreams that do one piece of work at a time, spread over several calls
 * (start it, poll its progress, interrupt it). With `maxConcurrentPerInstance: 1` no other call
 * or reservation is balanced onto the instance while it is held; calls made through the
 * reservation are pinned to the instance and do not need a slot of their own.
 */
export class UpstreamReservation {
  private released = false;

  constructor(
    private readonly instanceRef: UpstreamInstance,
    private readonly send: (req: UpstreamRequest) => Promise<UpstreamResponse>,
    private readonly onRelease: () => void,
  ) {}

  /** The reserved instance's id (as in `/upstreams` and metrics; never its URL). */
  get instance(): string {
    return this.instanceRef.id;
  }

  /** A call to the reserved instance (`request.instance` set to it). */
  request(req: Omit<UpstreamRequest, 'instance' | 'hashKey'>): Promise<UpstreamResponse> {
    return this.send({ ...req, instance: this.instanceRef.id });
  }

  /** Gives the slot back; further calls are idempotent no-ops. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.instanceRef.reserved--;
    this.onRelease();
  }
}
