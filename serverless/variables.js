// Values serverless.yml computes from pipeline.config.yml, through the same TypeScript modules the
// functions and the local runtime use, so the deployed rules and the local ones cannot drift apart.
require('tsx/cjs');
const path = require('node:path');
const { loadConfigFile } = require('../shared/config/config.loader');
const { patternFor } = require('../shared/event-rules');
const { reconcileSchedule } = require('../shared/domain/reconciliation');
const { migrationPolicyScope } = require('../shared/config/migration-policy');
const { trafficShiftPolicyScope } = require('../shared/config/traffic-shift-policy');

const configFile = process.env.PIPELINE_CONFIG_FILE ?? path.join(__dirname, '..', 'pipeline.config.yml');

module.exports = async ({ resolveVariable }) => {
  const config = loadConfigFile(configFile);
  const region = await resolveVariable('self:provider.region');
  return {
    reconcileSchedule: reconcileSchedule(config.reconciliation.everyMinutes),
    // The smoke-test function's VPC placement in the region being deployed (false: outside any VPC).
    smokeTestVpc: smokeTestVpcFor(config, region),
    // The smoke-test function when it is in that VPC: the traffic shift hook runs its test checks through
    // it, with its own variable and its invoke statement (none: the hook runs them itself, and role-names.js
    // leaves out the statement on no resource).
    ...testChecksThrough(smokeTestVpcFor(config, region)),
    patterns: {
      ecrPush: patternFor(config, 'ecrPush'),
      ecsDeploymentFinished: patternFor(config, 'ecsDeploymentFinished'),
      alarmStateChange: patternFor(config, 'alarmStateChange'),
      gitTagCreated: patternFor(config, 'gitTagCreated'),
      codeCommitTagCreated: patternFor(config, 'codeCommitTagCreated'),
      migrationTaskStopped: patternFor(config, 'migrationTaskStopped'),
    },
    // What the migration function may run and pass (IAM resources, as CloudFormation Fn::Sub values).
    migrations: migrationPolicyScope(config),
    trafficShift: trafficShiftScope(config),
  };
};

/** A Lambda function can only be in a VPC of its own region: the entry of the region being deployed, if any. */
function smokeTestVpcFor(config, region) {
  const placement = config.smokeTestVpc?.[region];
  if (!placement) return false;
  return { subnetIds: placement.subnetIds, securityGroupIds: placement.securityGroupIds };
}

/** The hook's settings for test checks run in the smoke-test function (only with a VPC for it). */
function testChecksThrough(vpc) {
  const fn = { 'Fn::GetAtt': ['RunSmokeChecksLambdaFunction', 'Arn'] };
  return {
    testChecksFunctions: vpc ? [fn] : [],
    testChecksEnvironment: vpc ? { TEST_CHECKS_FUNCTION_ARN: fn } : {},
  };
}

/**
 * What the traffic shift may touch: the listener rules the hook rewrites, and the roles a blue/green
 * UpdateService passes to ECS (the hook's invoke role and the configured infrastructure roles).
 */
function trafficShiftScope(config) {
  const { listenerRules, infrastructureRoles } = trafficShiftPolicyScope(config);
  return {
    listenerRules,
    passRoles: [{ 'Fn::GetAtt': ['TrafficShiftHookInvokeRole', 'Arn'] }, ...infrastructureRoles],
  };
}
