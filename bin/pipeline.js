#!/usr/bin/env node
// The `pipeline` command. Runs the TypeScript sources through tsx, so a clone needs only `npm ci`.
require('tsx/cjs');
const lifecycle = require('../cli/process-lifecycle.ts');
// `pipeline … | head -1`: a closed pipe ends the command quietly with status 0.
lifecycle.endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));
lifecycle.endQuietlyOnClosedPipe(process.stderr, (code) => process.exit(code));
// Under npm/npx, one kill of npm stops this process too.
lifecycle.stopWithLauncher();
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
