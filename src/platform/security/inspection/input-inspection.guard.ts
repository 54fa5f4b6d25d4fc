import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadata } from '../../route-metadata/route-metadata';
import type { Request } from 'express';
import { SecurityEventsService } from '../events/security-events.service';
import { InputRejectedError } from '../security.errors';
import { modeForField } from './field-modes';
import { INPUT_INSPECTION_KEY, type InputInspectionOptions } from './input-inspection.decorators';
import { type InputFinding, inspectInput } from './input-inspector';
import { inspectionConfig, type InspectionConfig } from './inspection.config';
import { THREAT_LABELS } from './threat-detectors';

/** A request whose input was flagged (not blocked): handlers may read what was found. */
export interface RequestWithInputFlags extends Request {
  inputFlags?: InputFinding[];
}

/**
 * Scans body, query and params for XSS, SQL injection, path traversal, command injection and
 * prototype pollution. Blocking fields answer 400 SECURITY.INPUT_REJECTED naming the field and the
 * kind of threat, never the value; flag-only fields record an event and let the request through.
 */
@Injectable()
export class InputInspectionGuard implements CanActivate {
  private readonly optionsOf: RouteMetadata<InputInspectionOptions>;

  constructor(
    reflector: Reflector,
    private readonly events: SecurityEventsService,
    @Inject(inspectionConfig.KEY) private readonly config: InspectionConfig,
  ) {
    this.optionsOf = new RouteMetadata(reflector, INPUT_INSPECTION_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const options = this.optionsOf.get(context);
    const routeMode = options?.mode ?? this.config.mode;
    if (routeMode === 'off' && !options?.fields) return true;
    const req = context.switchToHttp().getRequest<RequestWithInputFlags>();
    const findings = inspectInput({ body: req.body, query: req.query, params: req.params });
    if (findings.length === 0) return true;

    const blocked: InputFinding[] = [];
    const flagged: InputFinding[] = [];
    for (const f of findings) {
      const mode = modeForField(f.field, options, this.config.mode);
      if (mode === 'block') blocked.push(f);
      else if (mode === 'flag') flagged.push(f);
    }
    if (flagged.length > 0) {
      req.inputFlags = flagged;
      this.events.record(req, 'input.flagged', describe(flagged));
    }
    if (blocked.length === 0) return true;
    this.events.record(req, 'input.rejected', describe(blocked));
    const fields = [...new Set(blocked.map((f) => f.field))];
    throw new InputRejectedError(`Input rejected by security inspection: ${fields.join(', ')}`, {
      fieldErrors: blocked.map((f) => ({ field: f.field, message: `looks like ${THREAT_LABELS[f.family]}` })),
    });
  }
}

const describe = (findings: InputFinding[]) => findings.map((f) => `${f.field}: ${f.family}`).join(', ');
