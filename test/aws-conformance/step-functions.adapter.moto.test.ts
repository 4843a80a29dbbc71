import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { StepFunctionsExecutionControl, executionArnOf } from '../../shared/aws/step-functions.adapter';
import { MOTO_ACCOUNT, startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The execution control against moto, with moto's own ASL interpreter on (`execute_state_machine`), so a
 * task-token callback really resumes a waiting task. The waiting task publishes its token to SNS (moto's
 * interpreter implements `sns:publish.waitForTaskToken`; it has no Lambda callback without Docker), and the
 * test reads the token back from the TaskScheduled event, as the await-deployment step would receive it.
 */
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/pipeline-states`;

let moto: MotoServer;
let sfn: SFNClient;
let control: StepFunctionsExecutionControl;
let topicArn: string;
beforeAll(async () => {
  moto = await startMotoServer();
  await moto.configure({ stepfunctions: { execute_state_machine: true } });
  // Builds and reads back what the tests need; only the adapter's own client counts as checked.
  sfn = new SFNClient(moto.clientConfig(REGION));
  control = new StepFunctionsExecutionControl({
    // One client per region, as in Lambda: executions start in their machine's region.
    clients: (region) => moto.adapterClient('step-functions.adapter', SFNClient, region),
    region: REGION,
  });
  const sns = new SNSClient(moto.clientConfig(REGION));
  ({ TopicArn: topicArn } = (await sns.send(new CreateTopicCommand({ Name: 'deployment-waiters' }))) as {
    TopicArn: string;
  });
}, 90_000);
afterAll(() => moto?.stop());

/** A machine whose one state waits for a task token, as "Wait for ECS deployment" does. */
async function waitingMachine(name: string): Promise<string> {
  const definition = {
    StartAt: 'Wait for ECS deployment',
    States: {
      'Wait for ECS deployment': {
        Type: 'Task',
        Resource: 'arn:aws:states:::sns:publish.waitForTaskToken',
        Parameters: { TopicArn: topicArn, 'Message.$': '$$.Task.Token' },
        End: true,
      },
    },
  };
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({ name, roleArn: ROLE, definition: JSON.stringify(definition) }),
  );
  return stateMachineArn!;
}

/** The task token of the execution's waiting task, once moto's interpreter has scheduled it. */
async function waitingToken(executionArn: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const scheduled = events?.find((e) => e.type === 'TaskScheduled');
    const parameters = scheduled?.taskScheduledEventDetails?.parameters;
    if (parameters) return (JSON.parse(parameters) as { Message: string }).Message;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`execution ${executionArn} never scheduled its waiting task`);
}

/** The execution once it has left RUNNING (moto's interpreter runs on a thread of its own). */
async function ended(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`execution ${executionArn} is still RUNNING`);
}

describe('Step Functions execution control against moto', () => {
  describe('startExecution', () => {
    it('when the name is new, it starts the execution at the ARN derived from the machine and its name', async () => {
      // Prepare
      const machine = await waitingMachine('start-promote');

      // Act
      const started = await control.startExecution({
        stateMachineArn: machine,
        name: 'push-orders-api-4b825dc642cb',
        input: { service: 'orders-api' },
      });

      // Assess
      expect(started).toEqual({
        executionArn: executionArnOf(machine, 'push-orders-api-4b825dc642cb'),
        alreadyExisted: false,
      });
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      expect(described.input).toBe('{"service":"orders-api"}');
    });

    it('when the name was used with other input (a redelivered event after a change), it reports alreadyExisted with that ARN', async () => {
      // Prepare
      const machine = await waitingMachine('start-twice-promote');
      const first = await control.startExecution({
        stateMachineArn: machine,
        name: 'twice',
        input: { n: 1 },
      });

      // Act
      const again = await control.startExecution({
        stateMachineArn: machine,
        name: 'twice',
        input: { n: 2 },
      });

      // Assess
      expect(again).toEqual({ executionArn: first.executionArn, alreadyExisted: true });
    });

    it('when the state machine is in another region, it starts the execution in the region of its ARN', async () => {
      // Prepare
      const elsewhere = new SFNClient(moto.clientConfig('us-east-1'));
      const { stateMachineArn } = await elsewhere.send(
        new CreateStateMachineCommand({
          name: 'us-east-1-promote',
          roleArn: ROLE,
          definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
        }),
      );

      // Act
      const started = await control.startExecution({
        stateMachineArn: stateMachineArn!,
        name: 'far',
        input: {},
      });

      // Assess
      expect(started.executionArn).toBe(executionArnOf(stateMachineArn!, 'far'));
      expect(started.executionArn).toContain(':us-east-1:');
      const described = await elsewhere.send(
        new DescribeExecutionCommand({ executionArn: started.executionArn }),
      );
      expect(described.name).toBe('far');
    });
  });

  describe('task callbacks', () => {
    it('when the deployment completed, SendTaskSuccess resumes the waiting task and the execution succeeds with the output', async () => {
      // Prepare
      const machine = await waitingMachine('callback-success');
      const { executionArn } = await control.startExecution({
        stateMachineArn: machine,
        name: 'ok',
        input: {},
      });
      const token = await waitingToken(executionArn);

      // Act
      const delivered = await control.sendTaskSuccess(token, { deploymentId: 'ecs-svc/123', completedAt: 1 });

      // Assess
      expect(delivered).toBe(true);
      const execution = await ended(executionArn);
      expect(execution.status).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output ?? 'null')).toEqual({ deploymentId: 'ecs-svc/123', completedAt: 1 });
    });

    it('when the deployment failed, SendTaskFailure fails the execution with the error name the Catch matches', async () => {
      // Prepare
      const machine = await waitingMachine('callback-failure');
      const { executionArn } = await control.startExecution({
        stateMachineArn: machine,
        name: 'bad',
        input: {},
      });
      const token = await waitingToken(executionArn);

      // Act
      const delivered = await control.sendTaskFailure(
        token,
        'DeploymentFailed',
        'ECS deployment ecs-svc/123 failed: tasks failed to start',
      );

      // Assess
      expect(delivered).toBe(true);
      const execution = await ended(executionArn);
      // moto's SendTaskFailure drops the cause (docs/aws-conformance.md); the error name is what Catch matches.
      expect(execution).toMatchObject({ status: 'FAILED', error: 'DeploymentFailed' });
    });
  });
});
