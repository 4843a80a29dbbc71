/**
 * Migration tasks in the packaged template: who may start and stop them, and where. ECS authorises RunTask
 * on the task definition and StopTask on the task, both with the `ecs:cluster` condition key; a task's ARN
 * holds a random id, so the cluster condition is as tight as a stop can be limited.
 */
import { migrationPolicyScope } from '../../shared/config/migration-policy';
import { sampleConfig } from '../support/fixtures';
import {
  actionsOf,
  asArray,
  functionLogicalId,
  packagedTemplateForFile,
  policyStatementsOf,
  statementsOfFunction,
  type PolicyStatement,
} from '../support/packaged-template';

const template = packagedTemplateForFile();

function statementsOf(functionName: string): PolicyStatement[] {
  return statementsOfFunction(template(), functionName).filter((s) => s.Effect === 'Allow');
}

/** The clusters of the stages that migrate, as serverless/variables.js computes them from the sample config. */
function migrationClusters(): unknown[] {
  return migrationPolicyScope(sampleConfig()).clusters;
}

describe('migration task permissions', () => {
  it('when a timed-out migration is stopped, the stop function may stop tasks only in the clusters of stages that migrate', () => {
    // Act
    const stops = statementsOf('stopMigration').filter((s) => actionsOf(s).includes('ecs:StopTask'));

    // Assess
    expect(stops).toHaveLength(1);
    expect(actionsOf(stops[0]!)).toEqual(['ecs:StopTask']);
    expect(asArray(stops[0]!.Resource)).toEqual([{ 'Fn::Sub': 'arn:aws:ecs:*:${AWS::AccountId}:task/*' }]);
    expect(stops[0]!.Condition).toEqual({ ArnEquals: { 'ecs:cluster': migrationClusters() } });
  });

  it('when any other function is packaged, its role cannot stop a task', () => {
    // Act
    const stoppers = Object.entries(template().Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .filter(([, r]) => policyStatementsOf(r).some((s) => actionsOf(s).includes('ecs:StopTask')))
      .map(([id]) => id);

    // Assess
    expect(stoppers).toHaveLength(1);
    const fn = template().Resources[functionLogicalId('stopMigration')]!;
    expect(JSON.stringify(fn.Properties!.Role)).toContain(`"${stoppers[0]}"`);
  });

  it('when a migration task runs, the run function may start it only in the clusters of stages that migrate', () => {
    // Act
    const runs = statementsOf('runMigrations').filter((s) => actionsOf(s).includes('ecs:RunTask'));

    // Assess
    expect(runs).toHaveLength(1);
    expect(runs[0]!.Condition).toEqual({ ArnEquals: { 'ecs:cluster': migrationClusters() } });
  });
});
