// Imported first by local entry points (CLI, tests). Locally the handlers' JSON logs and EMF metrics
// would drown the readable output, so they are off unless the caller sets the variables (tracing too); the SDK's
// notice about future Node versions is off too (the lock file pins releases that support Node 20).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// No X-Ray locally: there is no daemon to send segments to (Powertools also turns tracing off outside Lambda).
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export {};
