/**
 * `import uWS from '../uws/index.js'` is how Sluice code uses uWebSockets.js: the build that
 * src/uws/load.ts picked, typed from its declarations. Importing never throws: when no build
 * loads, every use throws the loader's error (UwsLoadError), and `sluice --version` still works.
 */
import type * as T from 'uws-20.30';
import { loadUws, type UwsModule } from './load.js';

function load(): UwsModule {
  try {
    return loadUws().uws;
  } catch (e) {
    return new Proxy({} as UwsModule, {
      get() {
        throw e;
      },
    });
  }
}

const uWS: UwsModule = load();
export default uWS;

// The types, under the same name as the value (`uWS.HttpResponse`), as the packages export them.
declare namespace uWS {
  export type HttpResponse = T.HttpResponse;
  export type HttpRequest = T.HttpRequest;
  export type WebSocket<U> = T.WebSocket<U>;
  export type WebSocketBehavior<U> = T.WebSocketBehavior<U>;
  export type TemplatedApp = T.TemplatedApp;
  export type AppOptions = T.AppOptions;
  export type RecognizedString = T.RecognizedString;
  export type us_listen_socket = T.us_listen_socket;
  export type us_socket = T.us_socket;
  export type us_socket_context_t = T.us_socket_context_t;
  export type CompressOptions = T.CompressOptions;
}
