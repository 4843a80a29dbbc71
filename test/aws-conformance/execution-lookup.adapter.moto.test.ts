import { CreateStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { StepFunctionsExecutionLookup } from '../../shared/aws/execution-lookup.adapter';
import { MOTO_ACCOUNT, startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The execution lookup (start-promotion and start-release ask whether an execution name ran already)
 * against moto. moto's interpreter is left off: an execution started here stays RUNNING.
 */
const REGION = 'eu-west-1';

let moto: MotoServer;
let sfn: SFNClient;
let stateMachineArn: string;
beforeAll(async () => {
  moto = await startMotoServer();
  sfn = new SFNClient(moto.clientConfig(REGION));
  ({ stateMachineArn } = (await sfn.send(
    new CreateStateMachineCommand({
      name: 'orders-api-ppe-promote',
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/pipeline-states`,
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    }),
  )) as { stateMachineArn: string });
}, 90_000);
afterAll(() => moto?.stop());

function lookup(): StepFunctionsExecutionLookup {
  return new StepFunctionsExecutionLookup({
    clients: (region) => moto.adapterClient('execution-lookup.adapter', SFNClient, region),
  });
}

describe('execution lookup against moto', () => {
  it('when an execution has the name, it describes it by the ARN derived from the machine and returns its status', async () => {
    // Prepare
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'push-orders-api-4b825dc642cb', input: '{}' }),
    );

    // Act
    const status = await lookup().executionStatus(stateMachineArn, 'push-orders-api-4b825dc642cb');

    // Assess
    expect(status).toBe('RUNNING');
  });

  it('when no execution has the name, the ExecutionDoesNotExist Step Functions answers becomes undefined', async () => {
    // Act
    const status = await lookup().executionStatus(stateMachineArn, 'push-orders-api-000000000000');

    // Assess
    expect(status).toBeUndefined();
  });
});
