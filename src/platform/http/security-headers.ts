import { type IncomingMessage, type ServerResponse, validateHeaderValue } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import { checkedField, OUT_HEADERS, outgoingHeaderMap } from './outgoing-headers';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * helmet's security headers, computed once. With options that do not depend on the request
 * (the defaults, and anything without function-valued directives such as CSP nonces), helmet
 * sets the same headers on every response through a chain of a dozen middleware; here helmet
 * runs once at boot against a recording response and each request gets the recorded headers in
 * one loop. If helmet does anything the recording cannot replay (reads the request or the
 * response, removes a header, calls next with an error, sets different values on a second
 * run), helmet itself is returned and runs per request.
 */
export function securityHeaders(options?: HelmetOptions): Middleware {
  const middleware = helmet(options);
  const recorded = record(middleware);
  const again = record(middleware);
  if (!recorded || !again || !sameHeaders(recorded, again)) return middleware;
  const names = [...recorded.set.keys()];
  const values = [...recorded.set.values()];
  const removed = [...recorded.removed];
  if (OUT_HEADERS !== null) return presetHeaders(OUT_HEADERS, names, values, removed);
  return (_req, res, next) => {
    for (let i = 0; i < removed.length; i++) res.removeHeader(removed[i]);
    for (let i = 0; i < names.length; i++) res.setHeader(names[i], values[i]);
    next();
  };
}

/**
 * The recorded headers written straight into Node's outgoing-header map: what `setHeader` stores,
 * without checking every name and value again on every response (the content-security-policy
 * value alone is ≈ 300 characters scanned per request). They are checked once here, with the
 * same functions `setHeader` uses. Each response gets its own `[name, value]` entries, because
 * `appendHeader` extends them in place. ≈ 46,000 instructions per request (3.7 %) less than thirteen
 * `setHeader`/`removeHeader` calls (callgrind, bench/http-instructions.bench.ts).
 */
function presetHeaders(key: symbol, names: string[], values: (string | string[])[], removed: string[]): Middleware {
  const fields = names.map((name, i) => {
    validateHeaderValue(name, values[i] as string); // an array of values is checked the same way
    return checkedField(name)[0];
  });
  const gone = removed.map((n) => n.toLowerCase());
  return (_req, res, next) => {
    const headers = outgoingHeaderMap(res, key);
    for (let i = 0; i < gone.length; i++) if (headers[gone[i]] !== undefined) delete headers[gone[i]];
    for (let i = 0; i < fields.length; i++) {
      const value = values[i];
      headers[fields[i]] = [names[i], typeof value === 'string' ? value : [...value]];
    }
    next();
  };
}

interface Recording {
  set: Map<string, string | string[]>;
  removed: Set<string>;
}

/** The headers helmet sets/removes for a request that tells it nothing; undefined if not replayable. */
function record(middleware: Middleware): Recording | undefined {
  const headers = new Map<string, string | string[]>();
  const removed = new Set<string>();
  let replayable = true;
  let called = false;
  const recorder = {
    setHeader(name: string, value: string | string[]) {
      headers.set(name, value);
      return res;
    },
    removeHeader(name: string) {
      if (headers.has(name)) replayable = false; // order-dependent
      removed.add(name);
    },
  };
  const res = new Proxy(recorder as unknown as ServerResponse, {
    get(target, prop) {
      if (prop === 'setHeader' || prop === 'removeHeader') return recorder[prop];
      replayable = false;
      return Reflect.get(target, prop) as unknown;
    },
  });
  const req = new Proxy({} as IncomingMessage, {
    get(_target, prop) {
      if (typeof prop === 'string') replayable = false; // a header that depends on the request
      return undefined;
    },
  });
  try {
    middleware(req, res, (err) => {
      called = true;
      if (err) replayable = false;
    });
  } catch {
    return undefined;
  }
  return replayable && called ? { set: headers, removed } : undefined;
}

function sameHeaders(a: Recording, b: Recording): boolean {
  if (a.set.size !== b.set.size || a.removed.size !== b.removed.size) return false;
  for (const [k, v] of a.set) if (JSON.stringify(b.set.get(k)) !== JSON.stringify(v)) return false;
  return true;
}
