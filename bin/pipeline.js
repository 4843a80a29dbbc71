#!/usr/bin/env node
// The `pipeline` command. Runs the TypeScript sources through tsx, so a clone needs only `npm ci`.
require('tsx/cjs');
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
