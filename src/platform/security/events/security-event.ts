/** Kinds of security event; each lowers the client's trust score by its weight. */
export const SECURITY_EVENT_TYPES = [
  'auth.invalid',
  'auth.forbidden',
  'rate_limit.exceeded',
  'input.rejected',
  'input.flagged',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** One recorded security event. `detail` never carries the offending payload. */
export interface SecurityEvent {
  type: SecurityEventType;
  /** Route template, e.g. `/v1/rag/documents/:id`. */
  route: string;
  method: string;
  /** Throttling tracker of the client: `key:<id>`, `jwt:<sub>` or `ip:<address>`. */
  client: string;
  tenant?: string;
  requestId: string;
  /** ISO 8601. */
  time: string;
  detail?: string;
}
