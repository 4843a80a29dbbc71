/**
 * What @middy/core gets for `node:stream/web` in the function bundles (scripts/build-functions.ts swaps it
 * in). Middy imports `ReadableStream` from it at the top of its module, for streamed responses only
 * (`streamifyResponse`, which no function uses), and loading `node:stream/web` builds all of Node's web
 * streams (compression, encoding, adapters): 5–13 ms of every function's load. A CommonJS module whose
 * export is a getter keeps that import a property read at the point of use, so the builtin loads only if
 * a response is ever streamed; the value is Node's own class either way.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
module.exports = {
  get ReadableStream(): unknown {
    return (require('node:stream/web') as typeof import('node:stream/web')).ReadableStream;
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */
