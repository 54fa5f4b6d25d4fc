import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { Counter } from 'prom-client';
import { MetricsService } from '../../metrics/metrics.service';
import { routeTemplate } from '../../metrics/route-template';
import { isStateUnavailable, StateOutages, type StateStore } from '../../state';
import type { RequestWithCaller } from '../../context/caller';
import { SECURITY_STATE } from '../security-state';
import { clientKey } from '../throttling/client-key';
import { TrustScoreService } from '../throttling/trust-score.service';
import { type SecurityEvent, SECURITY_EVENT_TYPES, type SecurityEventType } from './security-event';

export const SECURITY_EVENTS_KEY = 'security:events';
/** Newest events kept; older ones fall off. */
export const SECURITY_EVENTS_MAX = 1000;

/**
 * Records security events: appended to a bounded list in the shared state store, counted in
 * `fennec_security_events_total{type}`, logged, and charged to the client's trust score.
 * Recording never fails or delays the request it is about.
 */
@Injectable()
export class SecurityEventsService {
  private readonly logger = new Logger('security');
  private readonly counter: Counter<'type'>;

  constructor(
    @Inject(SECURITY_STATE) private readonly state: StateStore,
    private readonly trust: TrustScoreService,
    metrics: MetricsService,
    private readonly outages: StateOutages,
  ) {
    this.counter = new Counter({
      name: metrics.name('security_events_total'),
      help: 'Security events (auth failures, rate-limit rejections, rejected or flagged input), by type',
      labelNames: ['type'],
      registers: [metrics.registry],
    });
    for (const type of SECURITY_EVENT_TYPES) this.counter.labels(type).inc(0);
  }

  record(req: Request, type: SecurityEventType, detail?: string): void {
    const client = clientKey(req);
    const event: SecurityEvent = {
      type,
      route: routeTemplate(req),
      method: req.method,
      client,
      tenant: (req as RequestWithCaller).caller?.tenant,
      requestId: typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : '',
      time: new Date().toISOString(),
      ...(detail ? { detail: detail.slice(0, 200) } : {}),
    };
    this.counter.labels(type).inc();
    this.logger.warn({ securityEvent: event }, `security event ${type}`);
    void this.persist(event).catch((e: unknown) => {
      if (isStateUnavailable(e)) this.outages.record('security_events', 'open', e);
      else this.logger.warn(`security event not stored: ${String(e)}`);
    });
  }

  /** Newest first. */
  async list(offset: number, limit: number): Promise<SecurityEvent[]> {
    const raw = await this.state.range(SECURITY_EVENTS_KEY, offset, limit);
    return raw.map((r) => JSON.parse(r) as SecurityEvent);
  }

  private async persist(event: SecurityEvent): Promise<void> {
    await Promise.all([
      this.state.pushBounded(SECURITY_EVENTS_KEY, JSON.stringify(event), SECURITY_EVENTS_MAX),
      this.trust.penalise(event.client, event.type),
    ]);
  }
}
