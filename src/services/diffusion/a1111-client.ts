import type { UpstreamPool, UpstreamReservation, UpstreamResponse } from '../../platform/upstream';
import type {
  A1111Checkpoint,
  A1111GenerationRequest,
  A1111GenerationResponse,
  A1111Progress,
  A1111Sampler,
  A1111Scheduler,
} from './a1111.types';
import { DiffusionGenerationFailedError } from './diffusion.errors';

/** Either a whole pool (any instance) or a reservation (its instance). */
type Target = Pick<UpstreamPool, 'request'> | Pick<UpstreamReservation, 'request'>;

/** Control calls are quick on a healthy instance, busy or not (A1111 serves them outside its queue lock). */
const CONTROL_TIMEOUTS = { firstByteMs: 10_000, totalMs: 30_000 };

/**
 * The AUTOMATIC1111 / Forge web UI API (`/sdapi/v1/*`, `modules/api/api.py`) as Fennec uses it.
 * Generation calls go through a reservation, so the instance that runs the generation is the one
 * polled for progress and interrupted.
 */
export const A1111 = {
  async generate(
    slot: Target,
    route: 'txt2img' | 'img2img',
    body: A1111GenerationRequest,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<A1111GenerationResponse> {
    const res = await slot.request({
      method: 'POST',
      path: `/sdapi/v1/${route}`,
      body,
      signal,
      // Above the caller's own deadline, which fires first so it can interrupt the instance.
      timeouts: { firstByteMs: timeoutMs + 5_000, totalMs: timeoutMs + 60_000 },
    });
    if (res.status >= 400) throw await failure(res);
    return res.json<A1111GenerationResponse>();
  },

  async progress(slot: Target, withImage: boolean, signal?: AbortSignal): Promise<A1111Progress> {
    const res = await slot.request({
      path: `/sdapi/v1/progress?skip_current_image=${withImage ? 'false' : 'true'}`,
      signal,
      timeouts: CONTROL_TIMEOUTS,
    });
    if (res.status >= 400) throw await failure(res);
    return res.json<A1111Progress>();
  },

  /** `POST /sdapi/v1/interrupt`: the running generation stops after its current step. */
  async interrupt(slot: Target): Promise<void> {
    const res = await slot.request({
      method: 'POST',
      path: '/sdapi/v1/interrupt',
      idempotent: true,
      timeouts: CONTROL_TIMEOUTS,
    });
    await res.text();
  },

  async list<T extends A1111Checkpoint | A1111Sampler | A1111Scheduler>(
    target: Target,
    what: 'sd-models' | 'samplers' | 'schedulers',
  ): Promise<T[]> {
    const res = await target.request({ path: `/sdapi/v1/${what}`, timeouts: CONTROL_TIMEOUTS });
    // Forge and older A1111 builds have no /schedulers: an empty list, not a failure.
    if (res.status === 404 && what === 'schedulers') {
      await res.text();
      return [];
    }
    if (res.status >= 400) throw await failure(res);
    const list = await res.json<unknown>();
    return Array.isArray(list) ? (list as T[]) : [];
  },
};

/** A1111's error body (`{ error, detail, body, errors }`) as a domain error naming what it said. */
async function failure(res: UpstreamResponse): Promise<Error> {
  let said: string;
  try {
    const body = JSON.parse(await res.text()) as { detail?: unknown; errors?: unknown; error?: unknown };
    const detail = typeof body.detail === 'string' && body.detail ? body.detail : body.errors;
    said = typeof detail === 'string' ? detail : JSON.stringify(detail ?? body.error ?? '');
  } catch {
    said = '';
  }
  return new DiffusionGenerationFailedError(
    `The diffusion instance answered ${res.status}${said ? `: ${said.slice(0, 300)}` : ''}`,
  );
}
