import { IncomingMessage, type Server, ServerResponse } from 'node:http';

type Constructor<T> = new (...args: never[]) => T;

/** The two fields of an Express app this touches (`express()` returns one). */
export interface ExpressPrototypes {
  request: object;
  response: object;
}

/**
 * Makes the HTTP server build every request and response on the Express app's own prototypes
 * from the start, so that Express's per-request `Object.setPrototypeOf(req, app.request)` (and
 * the same for `res`) finds the prototype already in place and changes nothing.
 *
 * Why: V8 gives an object whose prototype is changed after construction a hidden class (map) of
 * its own. Every request and every response then had a unique map, so every property access on
 * them — in Node's http code, Express, Nest and Fennec — missed V8's inline caches (megamorphic
 * loads, map migrations, descriptor copies: the top native frames of a CPU profile), and each
 * open SSE stream carried two private maps (≈ 2 KB of heap). Measured on a bare Express 5 app
 * with one JSON route: ≈ 8,000 req/s as shipped, ≈ 23,000–28,000 req/s with this (same machine,
 * same minute; docs/performance.md has Fennec's figures).
 *
 * How: a subclass of `IncomingMessage` (and of `ServerResponse`) whose prototype takes the place
 * of `app.request` (`app.response`): it inherits from what `app.request` inherited from and
 * carries its own properties (`app`), so requests see exactly what Express gives them. Derived
 * classes, because V8 sizes their instances from the whole constructor chain; a plain function
 * passed as `new.target` made every response grow its property store one field at a time, which
 * was slower than the problem. Node's `http.createServer` accepts such classes, but Nest creates
 * the server without options, so they are set on the server's two internal fields afterwards.
 *
 * Must run before the first request, and before anything keeps a reference to the old
 * `app.request`/`app.response` objects (what is already on them is carried over). Touches
 * nothing, and returns false, if Node's fields are not found or hold classes someone else set.
 */
export function buildOnExpressPrototypes(server: Server, app: ExpressPrototypes): boolean {
  const fields = server as unknown as Record<symbol, unknown>;
  const symbols = Object.getOwnPropertySymbols(server);
  const kIncoming = symbols.find((s) => s.description === 'IncomingMessage');
  const kResponse = symbols.find((s) => s.description === 'ServerResponse');
  if (!kIncoming || !kResponse) return false;
  if (fields[kIncoming] !== IncomingMessage || fields[kResponse] !== ServerResponse) return false;
  if (!(app.request instanceof IncomingMessage) || !(app.response instanceof ServerResponse)) return false;
  const Request = takingThePlaceOf(class FennecRequest extends IncomingMessage {}, app.request);
  const Response = takingThePlaceOf(class FennecResponse extends ServerResponse {}, app.response);
  app.request = Request.prototype;
  app.response = Response.prototype;
  fields[kIncoming] = Request;
  fields[kResponse] = Response;
  return true;
}

/** `Derived` re-parented so its prototype is a stand-in for `original` (same parent, same own properties). */
function takingThePlaceOf<T>(Derived: Constructor<T>, original: object): Constructor<T> {
  Object.setPrototypeOf(Derived.prototype, Object.getPrototypeOf(original) as object);
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'constructor') continue;
    Object.defineProperty(Derived.prototype, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  return Derived;
}
