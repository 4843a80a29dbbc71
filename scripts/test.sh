#!/usr/bin/env bash
# The test command README.md gives and CI runs: type-check, lint, build and package offline, tests, benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p test-output
# Each phase's wall time, printed at the end (when a phase fails too), to see where `npm test` spends it.
# Phases marked ‖ ran beside the others (their seconds overlap them).
phase_file=test-output/phase-seconds.txt
: > "$phase_file"
phase_name=
phase_mark=
phase_started=$SECONDS
phase() { # phase NAME [WHAT]: notes the seconds of the phase running, starts NAME and prints "== WHAT"
  if [ -n "$phase_name" ]; then
    printf '%6d  %s%s\n' $((SECONDS - phase_started)) "$phase_mark" "$phase_name" >> "$phase_file"
  fi
  phase_name=$1
  phase_started=$SECONDS
  if [ -n "$1" ]; then echo "== ${2:-$1}"; fi
}
print_phases() {
  local status=$?
  phase ""
  echo "== seconds per phase$([ "$status" = 0 ] || echo " (stopped: exit $status)")"
  grep -v '‖' "$phase_file" || true
  grep '‖' "$phase_file" || true
  printf '%6d  %s\n' "$SECONDS" "in all"
}
trap print_phases EXIT
# await_job PID LOG WHAT: waits for a job started in the background; if it failed, shows its output and stops.
await_job() {
  if ! wait "$1"; then
    cat "$2" >&2
    echo "$3 failed (its output is above)" >&2
    exit 1
  fi
}

# Type-check and lint run beside the packaging and the template checks: each of these steps is one
# process on one core, so one after the other they would leave the second core of a 2-core machine idle.
# Their output follows the template checks.
(
  phase_name=
  phase_mark='‖ '
  phase type-check
  npx tsc -p tsconfig.json --noEmit
  phase eslint
  npx eslint .
  phase prettier
  npx prettier --check . > /dev/null
  phase import-cycles
  npm run --silent lint:cycles # no import cycles (type-only imports count), as `npm run lint` checks
  phase ""
) > test-output/checks.log 2>&1 &
checks=$!
# The Python tools install (minutes, the first time: network and pip) while the functions are bundled and
# packaged (CPU); the script waits for them before the first step that needs them.
echo "== Python tools, in the background: moto and cfn-lint (requirements-tools.txt), checkov (requirements-checkov.txt)"
bash scripts/python-tools.sh tools > test-output/python-tools.log 2>&1 &
python_tools=$!
bash scripts/python-tools.sh checkov > test-output/python-checkov.log 2>&1 &
python_checkov=$!
phase package "bundle functions and package the CloudFormation template offline (osls)"
npm run --silent package
if ! command -v chromium > /dev/null; then
  # The browser tests drive Debian's Chromium (never a downloaded browser).
  phase chromium "installing Debian's chromium for the browser tests"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium) > /dev/null
fi
# The templates the template checks read are packaged (osls, Node: both cores) while pip still installs
# the Python tools (mostly waiting on downloads); the checks below then find them up to date.
phase templates:package "templates: packaging the stages × configured regions, beside the Python tools' install"
npx tsx scripts/check-template.ts --package-only
phase python-tools "Python tools: waiting for them"
await_job "$python_tools" test-output/python-tools.log "scripts/python-tools.sh tools"
await_job "$python_checkov" test-output/python-checkov.log "scripts/python-tools.sh checkov"
# cfn-lint and checkov (one Python process each, about a minute) run beside jest's first minutes: jest's
# workers wait on loopback requests and timers part of the time. Their output comes after jest's.
(
  phase_name=
  phase_mark='‖ '
  phase templates "templates: cfn-lint and checkov on the packaged templates (packaged above)"
  npx tsx scripts/check-template.ts
  phase ""
) > test-output/templates.log 2>&1 &
templates=$!
phase checks "type-check and lint (ran beside the packaging)"
await_job "$checks" test-output/checks.log "the type-check or the lint"
cat test-output/checks.log
phase jest "tests (jest.config.js: two workers), the browser tests apart"
rm -rf test-output/reliability test-output/aws-contracts test-output/demo-wall-time.json
npx jest --ci --testPathIgnorePatterns=/test/browser/
phase templates:wait "templates: cfn-lint and checkov (ran beside jest)"
await_job "$templates" test-output/templates.log "the template checks"
cat test-output/templates.log
phase browser "browser tests, one at a time (beside them, the benchmarks that count transitions)"
# Each drives a Chromium against a local stack; two at once, beside another worker, starve on 2 cores.
# The transition-count benchmarks take the core they leave: they run on virtual time and print counts
# and pipeline times, which the machine's load does not change. Their output comes with the others.
(
  phase_name=
  phase_mark='‖ '
  phase bench:promotion-cost
  npx tsx bench/promotion-cost.ts
  phase bench:release-cost
  npx tsx bench/release-cost.ts
  phase bench:bake-reaction
  npx tsx bench/bake-reaction.ts
  phase ""
) > test-output/benchmarks-counts.log 2>&1 &
counts=$!
npx jest --ci --runInBand test/browser
phase bench:counts "the transition-count benchmarks (ran beside the browser tests): waiting for them"
await_job "$counts" test-output/benchmarks-counts.log "a transition-count benchmark"
phase summaries "reliability summary (test/reliability)"
npx tsx scripts/print-reliability-summary.ts
echo "== AWS adapters checked against moto (test/aws-conformance)"
npx tsx scripts/print-aws-contract-summary.ts
phase bench:cold-start "benchmarks"
# The bundles the packaging built, when nothing they are built from changed since (the same inputs as
# test/support/packaged-template.ts's bundlesAreStale): building them again would time the same files.
bundle_inputs=(functions shared scripts/build-functions.ts scripts/bundle pipeline.config.yml package-lock.json)
if [ -d dist/functions ] && [ -z "$(find "${bundle_inputs[@]}" -newer dist/functions -print -quit)" ]; then
  npx tsx bench/cold-start.ts --quick --no-build
else
  npx tsx bench/cold-start.ts --quick
fi
grep -v '^== ' test-output/benchmarks-counts.log
phase bench:local-stack
npx tsx bench/local-stack.ts --quick
phase bench:canary-demo
npx tsx bench/canary-demo.ts --quick
