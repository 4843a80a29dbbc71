#!/usr/bin/env bash
# One module's mutation run (docs/mutation-testing.md): Stryker on FILE(s) (a `path:from-to` line range
# restricts it), with jest narrowed to the tests matching TESTS, incremental, one test runner, no type
# checker (on a busy 2-core machine the checker, not the tests, was the bottleneck: about 10 s a mutant).
#
#   bash scripts/mutation-module.sh NAME TESTS FILE...
#   bash scripts/mutation-module.sh version 'test/shared/domain/version\.test\.ts$' shared/domain/version.ts
#
# Writes reports/mutation/NAME.json and keeps its incremental cache in reports/mutation/inc-NAME.json.
# STATIC=1 mutates module-level code too (regex constants), which Stryker otherwise skips (ignoreStatic),
# and runs without the incremental cache: Stryker 9 reuses a static mutant's "survived" even when tests that
# would kill it were added (no per-test coverage ties it to them).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: bash scripts/mutation-module.sh NAME TESTS FILE... (see docs/mutation-testing.md)" >&2
  exit 2
fi
name=$1 tests=$2
shift 2
cd "$(dirname "$0")/.."
mkdir -p reports/mutation
node -e '
const config = require("./stryker.config.json");
const [name, ...files] = process.argv.slice(1);
delete config.$schema;
Object.assign(config, {
  mutate: files,
  concurrency: 1,
  checkers: [],
  ignoreStatic: process.env.STATIC !== "1",
  incrementalFile: `reports/mutation/inc-${name}.json`,
  reporters: ["clear-text", "json", "progress-append-only"],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: `.stryker-tmp/${name}`,
});
require("fs").writeFileSync(`reports/mutation/stryker-${name}.json`, JSON.stringify(config, null, 2));
' "$name" "$@"
incremental=--incremental
if [ "${STATIC:-}" = 1 ]; then incremental=; fi
MUTATION_TESTS="$tests" exec npx stryker run "reports/mutation/stryker-$name.json" $incremental
