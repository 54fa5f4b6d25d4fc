import type { UpstreamInstanceConfig } from '../../platform/upstream';

/**
 * Parses `OLLAMA_URLS`: comma-separated `url` or `url|weight` entries. Throws on a bad entry
 * (boot then fails naming it), so a typo never silently drops an instance.
 */
export function parseOllamaUrls(value: string): UpstreamInstanceConfig[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  return entries.map((entry) => {
    const [rawUrl, rawWeight, ...rest] = entry.split('|').map((s) => s.trim());
    if (rest.length > 0) throw new Error(`OLLAMA_URLS entry "${entry}" must be url or url|weight`);
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new Error(`OLLAMA_URLS entry "${entry}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`OLLAMA_URLS entry "${entry}" must be http:// or https://`);
    }
    const weight = rawWeight === undefined ? 1 : Number(rawWeight);
    if (!Number.isInteger(weight) || weight < 1 || weight > 1000) {
      throw new Error(`OLLAMA_URLS entry "${entry}": weight must be an integer from 1 to 1000`);
    }
    const id = url.port ? `${url.hostname}:${url.port}` : url.host;
    if (seen.has(id)) throw new Error(`OLLAMA_URLS lists ${id} twice`);
    seen.add(id);
    return { url: url.href.replace(/\/$/, ''), weight };
  });
}
