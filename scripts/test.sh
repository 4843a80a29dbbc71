#!/usr/bin/env bash
# The test command README.md gives and CI runs: type-check, lint, build and package offline, tests, benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== type-check"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npx eslint .
npx prettier --check . > /dev/null
npm run --silent lint:cycles  # no import cycles (type-only imports count), as `npm run lint` checks
# The Python tools install (minutes, the first time: network and pip) while the functions are bundled and
# packaged (CPU); the script waits for them before the first step that needs them.
mkdir -p test-output
echo "== Python tools, in the background: moto and cfn-lint (requirements-tools.txt), checkov (requirements-checkov.txt)"
bash scripts/python-tools.sh tools > test-output/python-tools.log 2>&1 &
python_tools=$!
bash scripts/python-tools.sh checkov > test-output/python-checkov.log 2>&1 &
python_checkov=$!
echo "== bundle functions and package the CloudFormation template offline (osls)"
npm run --silent package
if ! command -v chromium > /dev/null; then
  # The browser tests drive Debian's Chromium (never a downloaded browser).
  echo "== installing Debian's chromium for the browser tests"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium) > /dev/null
fi
echo "== Python tools: waiting for them"
for job in "$python_tools:tools" "$python_checkov:checkov"; do
  if ! wait "${job%%:*}"; then
    cat "test-output/python-${job##*:}.log" >&2
    echo "scripts/python-tools.sh ${job##*:} failed (its output is above)" >&2
    exit 1
  fi
done
echo "== templates: cfn-lint and checkov on the packaged templates (stages × configured regions)"
npx tsx scripts/check-template.ts
echo "== tests (jest.config.js: two workers), then the browser tests one at a time"
rm -rf test-output/reliability test-output/aws-contracts
npx jest --ci --testPathIgnorePatterns=/test/browser/
# Each drives a Chromium against a local stack; two at once, beside another worker, starve on 2 cores.
npx jest --ci --runInBand test/browser
echo "== reliability summary (test/reliability)"
npx tsx scripts/print-reliability-summary.ts
echo "== AWS adapters checked against moto (test/aws-conformance)"
npx tsx scripts/print-aws-contract-summary.ts
echo "== benchmarks"
npx tsx bench/cold-start.ts --quick
npx tsx bench/promotion-cost.ts
npx tsx bench/release-cost.ts
npx tsx bench/bake-reaction.ts
npx tsx bench/local-stack.ts
npx tsx bench/canary-demo.ts --quick
