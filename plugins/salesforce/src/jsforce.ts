// Loads jsforce. jsforce 3.10 depends on undici 8, which needs Node >= 22.19 just to load (it
// binds zlib.createZstdDecompress and worker_threads.markAsUncloneable at require time). On an
// older Node the hub still runs, so jsforce is loaded with a stand-in for its undici: jsforce's
// own transport (the only user of undici) is never used by this plugin anyway, because
// client.ts gives every Connection a transport on the runtime's fetch (no hidden retries,
// cancellation, typed errors). The stand-in is removed from the module cache right after the
// load, so no other package ever sees it. On Node >= 22.19 jsforce loads untouched.
import Module, { createRequire } from 'node:module';
import type * as JsforceModule from 'jsforce';

const require = createRequire(import.meta.url);

/** The first Node release whose built-ins undici 8 needs at load time. */
const NATIVE_FROM: [number, number] = [22, 19];

function nodeIsAtLeast([major, minor]: [number, number]): boolean {
  const [ma = 0, mi = 0] = process.versions.node.split('.').map(Number);
  return ma > major || (ma === major && mi >= minor);
}

class TransportUnavailable {
  constructor() {
    // Constructed once at load (jsforce's default dispatcher); only a request would need it.
  }
}

function loadJsforce(): typeof JsforceModule {
  if (nodeIsAtLeast(NATIVE_FROM)) return require('jsforce') as typeof JsforceModule;
  const undiciPath = createRequire(require.resolve('jsforce')).resolve('undici');
  if (require.cache[undiciPath]) return require('jsforce') as typeof JsforceModule;
  const standIn = new Module(undiciPath);
  standIn.exports = {
    Agent: TransportUnavailable,
    ProxyAgent: TransportUnavailable,
    Response: globalThis.Response,
    errors: { SocketError: TransportUnavailable },
    fetch: () => {
      throw new Error(`jsforce's built-in transport needs Node >= ${NATIVE_FROM.join('.')}; this plugin installs its own`);
    },
  };
  standIn.loaded = true;
  require.cache[undiciPath] = standIn;
  try {
    return require('jsforce') as typeof JsforceModule;
  } finally {
    delete require.cache[undiciPath];
  }
}

const jsforce = loadJsforce();

export const Connection = jsforce.Connection;
export type Connection = JsforceModule.Connection;
export type { HttpRequest as JsforceHttpRequest, HttpResponse as JsforceHttpResponse } from 'jsforce';
