/** `[host/][namespace/]model[:tag]`, as Ollama writes names (`llama3.2:3b`, `org/model:tag`). */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*){0,3}(:[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

export const MODEL_NAME_MAX_LENGTH = 256;

export function isModelName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MODEL_NAME_MAX_LENGTH && MODEL_NAME.test(value);
}

/** Ollama treats a name without a tag as `:latest`; compare names in this form. */
export function normalizeModelName(name: string): string {
  const last = name.slice(name.lastIndexOf('/') + 1);
  return last.includes(':') ? name : `${name}:latest`;
}
