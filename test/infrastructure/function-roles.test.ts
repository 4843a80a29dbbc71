/**
 * Least privilege, function by function: each Lambda function has a role of its own that allows exactly
 * the AWS actions its code calls. What the code calls is read from the function's esbuild bundle (bundled
 * here the way `npm run bundle` does, the SDK included): every `@aws-sdk/*` command module its metafile
 * says is still in the bundle after tree-shaking, as the IAM action it needs. A bundle holds whole adapter
 * classes, so a command of a method the function never calls is listed in NOT_CALLED below with the reason;
 * the role must allow the rest, no more, no fewer.
 */
import { build } from 'esbuild';
import { bundleOptions, functionNames } from '../../scripts/build-functions';
import {
  actionsOf,
  asArray,
  functionLogicalId,
  loadPackagedTemplate,
  policyStatementsOf,
  type Template,
} from '../support/packaged-template';
import { loadServerlessYml } from '../support/serverless-yml';

/** The IAM service prefix of each AWS SDK v3 package whose commands a bundle may hold. */
const IAM_PREFIX: Record<string, string> = {
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-sesv2': 'ses',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-sns': 'sns',
};

/** The document client's commands are named after the items, not the API operations. */
const DOCUMENT_CLIENT_ACTIONS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
};

/** API operations whose IAM action has another name. */
const ACTION_NAMES: Record<string, string> = { 'lambda:Invoke': 'lambda:InvokeFunction' };

/** Commands an SDK client holds for itself: in every bundle of that client, never sent by our code. */
const SDK_INTERNAL: Record<string, string> = {
  'dynamodb:DescribeEndpoints':
    "DynamoDB's endpoint discovery, off unless a client sets endpointDiscoveryEnabled",
};

/** What Lambda needs to write a function's own logs (reading a log, as a migration's tail, is the code's). */
const LOG_WRITES = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];

/** Actions AWS checks on top of the call itself. */
const IMPLIED: Record<string, string[]> = {
  // A revision that names a task or execution role passes that role to ECS; one with tags also tags it.
  'ecs:RegisterTaskDefinition': ['iam:PassRole', 'ecs:TagResource'],
  // A task of a revision that names a task or execution role passes that role (the migration task).
  'ecs:RunTask': ['iam:PassRole'],
  // A blue/green update passes the hook's invoke role and the load balancer's infrastructure role to ECS.
  'ecs:UpdateService': ['iam:PassRole'],
};

const FREEZE_CHANGES =
  'DynamoDeploymentFreezes.freeze/unfreeze: operators freeze from the CLI, the gate only reads';
const RECORD_READS = 'DynamoDeploymentRecords.history/running: the steps only write deployment records';
const ONLY_STARTS = 'StepFunctionsExecutionControl.sendTask*: this function only starts executions';
const ONLY_ANSWERS = 'StepFunctionsExecutionControl.startExecution: this function only answers task tokens';
const ECS_DEPLOYS =
  'EcsContainerPlatform deploys: this function never registers a revision or updates a service';
const ECS_REGISTERS =
  'EcsContainerPlatform.registerRevision/latestTaskDefinition: a rollback reuses the recorded revision';
const WAITER_READS = 'DynamoDeploymentWaiterStore.get/list: not used by this step';
const ECS_HISTORY =
  "EcsContainerPlatform.endedDeployment: only the deployment waiters read a service's deployment history";
const MIGRATION_RUNS = 'EcsMigrationTasks.runTask: only run-migrations starts migration tasks';
const MIGRATION_STOPS = 'EcsMigrationTasks.stopTask: only stop-migration stops a (timed-out) migration task';
const MIGRATION_STARTS =
  'DynamoMigrationStore.setWaiterTask: only run-migrations sets the task it started on its waiter';
const MIGRATION_LISTS =
  'DynamoMigrationStore.waiters/history: the sweep lists waiters, nobody lists history here';
const NO_ECS_HISTORY = {
  'ecs:ListServiceDeployments': ECS_HISTORY,
  'ecs:DescribeServiceRevisions': ECS_HISTORY,
};

/**
 * Commands in a function's bundle that the function never sends, by function folder: the adapter class
 * that holds them is shared with functions that do. Each with why; an entry whose command left the bundle
 * fails the test (remove it).
 */
const NOT_CALLED: Record<string, Record<string, string>> = {
  'acquire-stage-lock': {
    ...NO_ECS_HISTORY,
    'dynamodb:Query':
      'DynamoDeploymentRecords.history/running: the lock reads what runs in its one region (runningIn, a GetItem)',
    'ecs:ListTaskDefinitions': ECS_DEPLOYS,
    'ecs:RegisterTaskDefinition': ECS_DEPLOYS,
    'ecs:UpdateService': ECS_DEPLOYS,
    'iam:PassRole': ECS_DEPLOYS,
    'ecs:TagResource': ECS_DEPLOYS,
  },
  'approval-page': { 'dynamodb:Query': RECORD_READS, 'states:StartExecution': ONLY_ANSWERS },
  'await-deployment': {
    'ecs:DescribeTaskDefinition': ECS_DEPLOYS,
    'ecs:ListTaskDefinitions': ECS_DEPLOYS,
    'ecs:RegisterTaskDefinition': ECS_DEPLOYS,
    'ecs:UpdateService': ECS_DEPLOYS,
    'iam:PassRole': ECS_DEPLOYS,
    'ecs:TagResource': ECS_DEPLOYS,
    'dynamodb:GetItem': WAITER_READS,
    'dynamodb:Query': WAITER_READS,
    'states:StartExecution': ONLY_ANSWERS,
  },
  'settle-deployment': {
    ...NO_ECS_HISTORY,
    'ecs:DescribeServices': 'the ECS event says how the deployment ended: no ECS call',
    'ecs:DescribeTaskDefinition': ECS_DEPLOYS,
    'ecs:ListTaskDefinitions': ECS_DEPLOYS,
    'ecs:RegisterTaskDefinition': ECS_DEPLOYS,
    'ecs:UpdateService': ECS_DEPLOYS,
    'iam:PassRole': ECS_DEPLOYS,
    'ecs:TagResource': ECS_DEPLOYS,
    'dynamodb:PutItem': 'DynamoDeploymentWaiterStore.put: only await-deployment parks waiters',
    'dynamodb:GetItem': WAITER_READS,
    'dynamodb:Query': WAITER_READS,
    'states:StartExecution': ONLY_ANSWERS,
  },
  'sweep-deployments': {
    'ecs:ListTaskDefinitions': ECS_DEPLOYS,
    'ecs:RegisterTaskDefinition': ECS_DEPLOYS,
    'ecs:UpdateService': ECS_DEPLOYS,
    'iam:PassRole': ECS_DEPLOYS,
    'ecs:TagResource': ECS_DEPLOYS,
    'ecs:RunTask': MIGRATION_RUNS,
    'ecs:StopTask': MIGRATION_STOPS,
    'dynamodb:GetItem': WAITER_READS,
    'dynamodb:UpdateItem': MIGRATION_STARTS,
    'states:StartExecution': ONLY_ANSWERS,
  },
  'run-migrations': {
    ...NO_ECS_HISTORY,
    'ecs:StopTask': MIGRATION_STOPS,
    'ecs:UpdateService':
      'EcsContainerPlatform.updateService: the migration step registers a revision, never deploys it',
    'dynamodb:Query': MIGRATION_LISTS,
    'states:StartExecution': ONLY_ANSWERS,
  },
  'settle-migration': {
    'ecs:StopTask': MIGRATION_STOPS,
    'ecs:DescribeServices': MIGRATION_RUNS,
    'ecs:RunTask': MIGRATION_RUNS,
    'iam:PassRole': MIGRATION_RUNS,
    'ecs:ListTasks': 'EcsMigrationTasks.findTasks/describeTask: the stopped event carries the task',
    'ecs:DescribeTasks': 'EcsMigrationTasks.findTasks/describeTask: the stopped event carries the task',
    'dynamodb:Query': MIGRATION_LISTS,
    'dynamodb:UpdateItem': MIGRATION_STARTS,
    'states:StartExecution': ONLY_ANSWERS,
  },
  'stop-migration': {
    'ecs:DescribeServices': MIGRATION_RUNS,
    'ecs:RunTask': MIGRATION_RUNS,
    'iam:PassRole': MIGRATION_RUNS,
    'dynamodb:Query': MIGRATION_LISTS,
    'dynamodb:UpdateItem': MIGRATION_STARTS,
    'states:StartExecution': ONLY_ANSWERS,
  },
  'watch-bake': {
    'dynamodb:Query':
      'DynamoBakeWatchStore.list: the alarm event and the sweep list the watches, the bake parks one',
  },
  'request-approval': {
    'dynamodb:DeleteItem':
      "DynamoMigrationStore.removeWaiter: the approval only reads the stage's migration plan",
  },
  'settle-bake': {
    'dynamodb:PutItem': 'DynamoBakeWatchStore.put: only watch-bake parks bake watches',
    'states:SendTaskSuccess':
      'StepFunctionsExecutionControl.sendTaskSuccess: an alarm only ever fails a bake',
    'states:StartExecution': ONLY_ANSWERS,
  },
  'deploy-service': NO_ECS_HISTORY,
  'check-deployment-gate': {
    'dynamodb:PutItem': FREEZE_CHANGES,
    'dynamodb:DeleteItem': FREEZE_CHANGES,
    'dynamodb:Query': "DynamoDeploymentFreezes.list: the gate reads only its environment's freeze",
  },
  'check-release': {
    ...NO_ECS_HISTORY,
    'dynamodb:PutItem': 'DynamoDeploymentRecords.put: the release check only reads what runs',
    'dynamodb:GetItem':
      'DynamoDeploymentRecords.runningIn: the release check reads what runs in every region (running, a Query)',
    'ecs:ListTaskDefinitions': ECS_DEPLOYS,
    'ecs:RegisterTaskDefinition': ECS_DEPLOYS,
    'ecs:UpdateService': ECS_DEPLOYS,
    'iam:PassRole': ECS_DEPLOYS,
    'ecs:TagResource': ECS_DEPLOYS,
  },
  'roll-back-service': {
    'ecs:DescribeServiceRevisions': ECS_HISTORY,
    'ecs:ListTaskDefinitions': ECS_REGISTERS,
    'ecs:RegisterTaskDefinition': ECS_REGISTERS,
    'ecs:TagResource': ECS_REGISTERS,
    'dynamodb:PutItem': 'DynamoStageRecordStore.rememberPreviousRevision: only deploy-service records it',
  },
  'shift-traffic': {
    'dynamodb:GetItem':
      'DynamoTrafficShiftLog.get: the hook keeps its progress in hookDetails and only writes the log',
    'lambda:InvokeFunction':
      'InvokedTestCheckRunner: only with a smokeTestVpc for the region (this config has none); that template allows it, on the smoke-test function only (smoke-test-vpc.test.ts)',
  },
  'stop-stage': { 'dynamodb:Query': RECORD_READS },
  'complete-stage': {
    'dynamodb:Query': `DynamoStageEvidenceStore.list: only request-approval reads the evidence; ${RECORD_READS}`,
  },
  'reconcile-images': {
    ...NO_ECS_HISTORY,
    'ecr:BatchGetImage': 'EcrImageRegistry.addTag: only releases tag images; the sweep lists them',
    'ecr:PutImage': 'EcrImageRegistry.addTag: only releases tag images; the sweep lists them',
    'ecs:ListTaskDefinitions': ECS_DEPLOYS,
    'ecs:RegisterTaskDefinition': ECS_DEPLOYS,
    'ecs:UpdateService': ECS_DEPLOYS,
    'iam:PassRole': ECS_DEPLOYS,
    'ecs:TagResource': ECS_DEPLOYS,
    'states:SendTaskSuccess': ONLY_STARTS,
    'states:SendTaskFailure': ONLY_STARTS,
  },
  'start-promotion': { 'states:SendTaskSuccess': ONLY_STARTS, 'states:SendTaskFailure': ONLY_STARTS },
  'start-release': { 'states:SendTaskSuccess': ONLY_STARTS, 'states:SendTaskFailure': ONLY_STARTS },
};

/** What a function traced with X-Ray needs, whatever its code calls. */
const TRACING_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/** The shared role serverless creates; no function may use it (it only writes logs). */
const SHARED_ROLE = 'IamRoleLambdaExecution';

/** An SDK command module in a bundle's inputs (esbuild's metafile): its package and command class. */
const COMMAND_MODULE =
  /node_modules\/(@aws-sdk\/[a-z0-9-]+)\/dist-es\/commands\/([A-Z][A-Za-z0-9]*Command)\.js$/;

/**
 * The IAM actions a function's bundle can call: the SDK command modules esbuild kept in it (tree-shaking
 * drops the others), as IAM actions, and what AWS implies for them.
 */
async function actionsInBundle(folder: string): Promise<string[]> {
  const result = await build({
    ...bundleOptions(folder),
    write: false,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('.js'))?.[1];
  const kept = Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path.replace(/\\/g, '/'));
  // A paginator used by our code imports the command it sends, so that command module is kept too; the
  // build drops the paginators no one uses (scripts/build-functions.ts).

  const actions = new Set<string>();
  for (const path of kept) {
    const match = COMMAND_MODULE.exec(path);
    if (!match) continue;
    const [, name, command] = match as unknown as [string, string, string];
    if (!(name in IAM_PREFIX))
      throw new Error(`${folder} bundles ${name}: add its IAM prefix to IAM_PREFIX in this test`);
    // The document client's commands wrap DynamoDB's (PutCommand sends PutItem): the same action either way.
    const operation =
      name === '@aws-sdk/lib-dynamodb' ? DOCUMENT_CLIENT_ACTIONS[command] : command.replace(/Command$/, '');
    if (!operation) throw new Error(`${folder}: add ${command} to DOCUMENT_CLIENT_ACTIONS in this test`);
    const called = `${IAM_PREFIX[name]}:${operation}`;
    const action = ACTION_NAMES[called] ?? called;
    if (action in SDK_INTERNAL) continue;
    for (const needed of [action, ...(IMPLIED[action] ?? [])]) actions.add(needed);
  }
  return [...actions].sort();
}

/** serverless.yml's camelCase function name for a functions/ folder. */
function serverlessName(folder: string): string {
  return folder.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * What is wrong with the role of one function, as messages that say what to change: an empty list when
 * its own role allows exactly `called` and writes only its own log group.
 */
function roleProblems(
  template: Template,
  folder: string,
  inBundle: string[],
  notCalled: Record<string, string> = {},
): string[] {
  const name = serverlessName(folder);
  const called = inBundle.filter((action) => !(action in notCalled)).sort();
  const fn = template.Resources[functionLogicalId(name)];
  if (!fn) return [`${name}: no AWS::Lambda::Function in the template; declare it in serverless.yml`];
  const roleId = (fn.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  const give = `give functions.${name} in serverless.yml \`iamRoleStatements\` allowing ${
    called.length ? called.join(', ') : 'nothing (`[]`)'
  } on the resources it uses`;
  if (!roleId || roleId === SHARED_ROLE || !template.Resources[roleId])
    return [`${name} runs with the shared role ${roleId ?? '(none)'}: ${give}`];
  const sharing = Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && id !== functionLogicalId(name))
    .filter(([, r]) => JSON.stringify(r.Properties?.Role).includes(`"${roleId}"`));
  if (sharing.length > 0)
    return [`${name} shares its role ${roleId} with ${sharing.map(([id]) => id).join(', ')}: ${give}`];

  const problems: string[] = [];
  const statements = policyStatementsOf(template.Resources[roleId]!).filter((s) => s.Effect === 'Allow');
  const logGroup = `:log-group:/aws/lambda/`;
  const granted = new Set<string>();
  let tracesGranted = false;
  for (const statement of statements) {
    const actions = actionsOf(statement);
    if (actions.length > 0 && actions.every((action) => TRACING_ACTIONS.includes(action))) {
      // The Lambda runtime sends the function's X-Ray traces (tracing is Active), not its code.
      tracesGranted = TRACING_ACTIONS.every((action) => actions.includes(action));
      continue;
    }
    if (actions.every((action) => LOG_WRITES.includes(action))) {
      // Lambda writes the function's own logs; the plugin grants that on the function's log group only.
      const resources = JSON.stringify(asArray(statement.Resource));
      if (!resources.includes(logGroup) || !resources.includes(`-${name}:`))
        problems.push(`${name}: its role writes logs beyond its own log group: ${resources}`);
      continue;
    }
    for (const action of actions) granted.add(action);
  }
  if ((fn.Properties?.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active' && !tracesGranted)
    problems.push(
      `${name}: it is traced with X-Ray but its role does not allow ${TRACING_ACTIONS.join(', ')}: keep ` +
        'them in provider.iam.role.statements of serverless.yml (every function role inherits them)',
    );
  const missing = called.filter((action) => !granted.has(action));
  const extra = [...granted].filter((action) => !called.includes(action)).sort();
  if (missing.length > 0)
    problems.push(
      `${name}: its code calls ${missing.join(', ')} but its role does not allow it: add to ` +
        `functions.${name}.iamRoleStatements in serverless.yml (or, if the function never sends it, to ` +
        `NOT_CALLED['${folder}'] in test/infrastructure/function-roles.test.ts with the reason)`,
    );
  if (extra.length > 0)
    problems.push(
      `${name}: its role allows ${extra.join(', ')} that its code never calls: remove from ` +
        `functions.${name}.iamRoleStatements in serverless.yml`,
    );
  const stale = Object.keys(notCalled).filter((action) => !inBundle.includes(action));
  if (stale.length > 0)
    problems.push(
      `${name}: NOT_CALLED['${folder}'] lists ${stale.join(', ')}, no longer in its bundle: remove`,
    );
  return problems;
}

describe('function roles (least privilege)', () => {
  let template: Template;
  const bundles = new Map<string, string[]>();
  const folders = functionNames();

  beforeAll(async () => {
    template = loadPackagedTemplate();
    for (const folder of folders) bundles.set(folder, await actionsInBundle(folder));
  }, 300_000);

  it('when the functions are bundled, the AWS calls read from them include the ones each function is known for', () => {
    // Sanity checks of the reading itself, so that an empty reading cannot pass for "no calls".
    expect(bundles.get('start-promotion')).toContain('states:StartExecution');
    expect(bundles.get('deploy-service')).toEqual(
      expect.arrayContaining(['ecs:RegisterTaskDefinition', 'iam:PassRole', 'dynamodb:PutItem']),
    );
    expect(bundles.get('receive-github-webhook')).toEqual([
      'events:PutEvents',
      'secretsmanager:GetSecretValue',
    ]);
    expect(bundles.get('run-smoke-checks')).toEqual([]);
  });

  it.each(functionNames())(
    'when %s is packaged, its own role allows exactly the AWS actions its code calls',
    (folder) => {
      expect(roleProblems(template, folder, bundles.get(folder)!, NOT_CALLED[folder])).toEqual([]);
    },
  );

  it('when NOT_CALLED names a function, that function exists, and every entry says why', () => {
    for (const [folder, entries] of Object.entries(NOT_CALLED)) {
      expect({ folder, exists: folders.includes(folder) }).toEqual({ folder, exists: true });
      for (const reason of Object.values(entries)) expect(reason.length).toBeGreaterThan(20);
    }
  });

  it('when every function has its own role, no function runs with the shared role', () => {
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(Object.keys(loadServerlessYml().functions).length);
    for (const fn of functions) expect(JSON.stringify(fn.Properties?.Role)).not.toContain(`"${SHARED_ROLE}"`);
  });

  it('when a new function has no iamRoleStatements (the shared role), it fails saying what to add', () => {
    // Prepare: the packaged template with deployService switched back to the shared role.
    const shared = structuredClone(template);
    shared.Resources[functionLogicalId('deployService')]!.Properties!.Role = {
      'Fn::GetAtt': [SHARED_ROLE, 'Arn'],
    };

    // Act
    const problems = roleProblems(shared, 'deploy-service', bundles.get('deploy-service')!);

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(
        /^deployService runs with the shared role IamRoleLambdaExecution: give functions\.deployService in serverless\.yml `iamRoleStatements` allowing .*ecs:RegisterTaskDefinition.*iam:PassRole/,
      ),
    ]);
  });

  it('when a role misses a called action or allows one never called, it fails naming both', () => {
    // Prepare: startPromotion's bundle as it is, compared without its NOT_CALLED entries.
    const problems = roleProblems(template, 'start-promotion', bundles.get('start-promotion')!);
    const narrowed = roleProblems(
      template,
      'start-promotion',
      ['states:StartExecution', 'events:PutEvents'],
      {
        'events:PutEvents': 'pretend',
      },
    );
    const widened = roleProblems(template, 'start-promotion', []);

    // Assess
    expect(problems).toEqual([
      expect.stringContaining('its code calls states:SendTaskFailure, states:SendTaskSuccess but its role'),
    ]);
    expect(narrowed).toEqual([]);
    expect(widened).toEqual([
      expect.stringContaining('its role allows states:StartExecution that its code never calls'),
    ]);
  });
});
