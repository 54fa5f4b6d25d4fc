import { BroadcastChannel } from 'node:worker_threads';
import { computeProjection } from './compute/projection-compute';
import { WARM_UP_TASK } from './projection-worker-file';
import type {
  ComputeProgress,
  ProjectionComputeInput,
  ProjectionComputeOutput,
} from './compute/projection-compute.types';

/** Progress posts per second at most (the job stores and pushes each one). */
const PROGRESS_INTERVAL_MS = 250;

/**
 * Entry point of a JobWorkerPool thread (piscina calls the default export). Progress goes back on
 * a BroadcastChannel named by the task: the pool copies the input by structured clone and takes no
 * transfer list, so a MessagePort cannot be handed over, while a named channel reaches the
 * submitting thread without one.
 */
export default function runProjectionTask(
  input: ProjectionComputeInput | typeof WARM_UP_TASK,
): ProjectionComputeOutput | undefined {
  // Starting the thread and loading the libraries is all a warm-up task asks for (projection.job.ts).
  if ('warmUp' in input) return undefined;
  const channel = input.progressChannel ? new BroadcastChannel(input.progressChannel) : undefined;
  let last = 0;
  let lastStage = '';
  const progress = (p: ComputeProgress) => {
    const now = Date.now();
    if (p.stage === lastStage && p.value < p.max && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    lastStage = p.stage;
    channel?.postMessage(p);
  };
  try {
    return computeProjection(input, progress);
  } finally {
    channel?.close();
  }
}
