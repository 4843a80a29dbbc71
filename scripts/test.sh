#!/usr/bin/env bash
# The test command README.md gives and CI runs: type-check, lint, build and package offline, tests, benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== type-check"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npx eslint .
npx prettier --check . > /dev/null
echo "== bundle functions and package the CloudFormation template offline (osls)"
npm run --silent package
echo "== tests"
npx jest --ci
echo "== benchmarks"
npx tsx bench/bundles.ts
npx tsx bench/promotion-cost.ts
npx tsx bench/release-cost.ts
