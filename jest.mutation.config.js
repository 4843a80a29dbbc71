/**
 * The jest setup Stryker runs (`npm run mutation`, stryker.config.json): the base config, limited to the
 * unit tests of the modules under mutation, so each mutant runs only the fast tests that cover it (Stryker
 * adds --findRelatedTests and per-test coverage on top). The flow tests through the local pipeline also
 * reach these modules but take minutes; they run in `npm test`.
 *
 * MUTATION_TESTS narrows it further to the tests of one module (a regex on the test file's path), for a
 * per-module run: `MUTATION_TESTS='test/shared/domain/version' npx stryker run --mutate shared/domain/version.ts`.
 */
const base = require('./jest.config.js');

const ALL = [
  'test/shared/use-cases/(stage-lock|check-release|check-bake-alarms|watch-bake)\\.test\\.ts$',
  'test/shared/operations/(redrive|rollback)\\.test\\.ts$',
  'test/shared/domain/(version|image|bake-breach)\\.test\\.ts$',
  'test/shared/config/(config-cross-checks|config\\.loader)\\.test\\.ts$',
  'test/shared/git-tags/(github-webhook|webhook-signature)\\.test\\.ts$',
  'test/shared/approvals/links/signing\\.test\\.ts$',
  'test/shared/approvals/email/signed-link-signer\\.test\\.ts$',
  'test/shared/aws/cloudwatch-alarms\\.adapter\\.test\\.ts$',
  'test/shared/aws/deployment-locks\\.adapter\\.test\\.ts$',
  'test/local-runtime/engine/(choice|choice-operators|pass-and-paths|json-path)\\.test\\.ts$',
  'test/local-runtime/event-pattern\\.test\\.ts$',
  'test/shared/event-rules(-codecommit)?\\.test\\.ts$',
];

// Stryker collects each test's coverage in the process that runs it, so the tests run in that process:
// the base config's second worker and worker recycling (workerIdleMemoryLimit) would lose it.
const { maxWorkers: _workers, workerIdleMemoryLimit: _recycling, ...inBand } = base;

module.exports = {
  ...inBand,
  testMatch: undefined,
  testRegex: process.env.MUTATION_TESTS ? [process.env.MUTATION_TESTS] : ALL,
};
