/**
 * The part of Powertools Tracer the step stack uses, in a module of its own: lambda-step.ts imports it on a
 * step's first invocation, never at load, and the function bundles carry it as a file of its own
 * (`tracing.js` beside `handler.js`, see scripts/build-functions.ts). Tracer pulls in the X-Ray SDK, whose
 * load alone cost about 40% of a bare `require('@aws-sdk/client-sfn')` (docs/cold-start.md).
 */
export { Tracer } from '@aws-lambda-powertools/tracer';
export { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
