#!/usr/bin/env bash
# Runs the property tests with fresh seeds (npm test runs them with fixed ones), ROUNDS times (default 1).
# A failure prints its seed: replay it with PROPERTY_SEED=<seed> npx jest <file>, then keep the
# counterexample as an example test beside the property.
#   scripts/property-fresh-seeds.sh [ROUNDS]      (or: npm run test:property-fresh)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${1:-1}"
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "property-fresh-seeds: ROUNDS must be a positive whole number, got \"$rounds\"" >&2
  exit 2
fi
# The files that draw their cases from test/helpers/property-seed.ts.
mapfile -t files < <(grep -rl --include='*.test.ts' 'usePropertySeed' test | sort)
failed=0
for round in $(seq 1 "$rounds"); do
  echo "== round $round of $rounds: ${#files[@]} property test files, fresh seeds"
  if ! PROPERTY_SEED=fresh npx jest --ci --runInBand "${files[@]}"; then
    failed=$((failed + 1))
  fi
done
echo "property tests with fresh seeds: $failed of $rounds rounds failed"
[ "$failed" -eq 0 ]
