/**
 * Checks the CloudFormation template `serverless package` builds offline (the one `serverless deploy`
 * would send): event rules, state machine, functions, table and IAM. scripts/test.sh packages before
 * jest; run alone (`npx jest test/infrastructure`), this file packages once if the template is missing
 * or older than what it is built from.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadStateMachineDefinition, localFunctionArn } from '../../local-runtime/state-machine-definitions';
import { functionNames } from '../../scripts/build-functions';
import { loadConfigFile } from '../../shared/config/config.loader';
import { eventRules } from '../../shared/event-rules';
import {
  actionsOf,
  asArray,
  functionLogicalId,
  loadPackagedTemplate,
  policyStatementsOf,
  type PolicyStatement,
  type Template,
} from '../support/packaged-template';
import { loadServerlessYml } from '../support/serverless-yml';

const ROOT = join(__dirname, '..', '..');
/**
 * Actions that may be granted on `Resource: '*'`, each with the reason AWS leaves no narrower choice
 * (the "Resource types" column of the Service Authorization Reference is empty for them, so a statement
 * naming an ARN would never match). Anything else on "*" fails the test: scope it to an ARN instead.
 */
const ALLOWED_ON_ANY_RESOURCE: Record<string, string> = {
  'ecs:DescribeTaskDefinition': 'ECS task definition reads do not support resource-level permissions',
  'ecs:ListTasks':
    'ListTasks is authorized on the cluster condition key, not a task ARN (the migration function scopes it by ecs:cluster)',
  'ecs:DescribeTasks':
    'the migration tasks are not known before they run; the migration function scopes it by ecs:cluster',
  'ecs:ListTaskDefinitions': 'a List action: it names no resource, so "*" is the only resource',
  'ecs:RegisterTaskDefinition': 'the revision does not exist yet, and ECS defines no resource type for it',
  'states:SendTaskSuccess': 'acts on a task token, not an ARN: the action has no resource type',
  'states:SendTaskFailure': 'acts on a task token, not an ARN: the action has no resource type',
  'states:SendTaskHeartbeat': 'acts on a task token, not an ARN: the action has no resource type',
  'elasticloadbalancing:DescribeRules':
    'ELB Describe* actions do not support resource-level permissions (the hook reads the rule it then modifies)',
  'cloudwatch:GetMetricData':
    'GetMetricData does not support resource-level permissions: it reads any metric',
  'xray:PutTraceSegments': "X-Ray defines no resource type: the runtime sends the traced functions' segments",
  'xray:PutTelemetryRecords': 'X-Ray defines no resource type: the runtime sends the daemon telemetry',
  // The serverless-step-functions plugin generates the state machine role with lambda:InvokeFunction on
  // the functions' ARNs only. It would add logs:CreateLogDelivery & co. on "*" (CloudWatch Logs vended
  // delivery has no resource type) only if `loggingConfig` were set, which serverless.yml does not do:
  // add those actions here, with this reason, if it ever is.
};

let template: Template;
const serverlessYml = loadServerlessYml();
const config = loadConfigFile(join(ROOT, 'pipeline.config.yml'));

beforeAll(() => {
  template = loadPackagedTemplate();
}, 300_000);

describe('the packaged CloudFormation template', () => {
  test('is a template with resources (sanity check for the tests below)', () => {
    expect(Object.keys(template.Resources).length).toBeGreaterThan(10);
    expect(resourcesOfType('AWS::Lambda::Function')).toHaveLength(
      Object.keys(serverlessYml.functions).length,
    );
  });

  describe('EventBridge rules carry the patterns of shared/event-rules.ts (one source of truth)', () => {
    test.each(eventRules(config).map((rule) => [rule.id, rule] as const))('%s', (_, rule) => {
      const rules = rulesTargeting(rule.target).filter(
        ([, properties]) => JSON.stringify(properties.EventPattern) === JSON.stringify(rule.pattern),
      );
      expect(rules).toHaveLength(1);
      const [, properties] = rules[0]!;
      if (rule.bus === 'pipeline')
        expect(properties.EventBusName).toEqual({ 'Fn::GetAtt': ['PipelineEventBus', 'Name'] });
      else expect(properties.EventBusName).toBeUndefined();
      expect(properties.EventPattern).toEqual(rule.pattern);
      expect(properties.State).toBe('ENABLED');
      expect(properties.ScheduleExpression).toBeUndefined();
    });

    test('every function triggered by an event pattern has its rule in shared/event-rules.ts', () => {
      const withPattern = Object.entries(serverlessYml.functions)
        .filter(([, fn]) => (fn.events ?? []).some((event) => 'eventBridge' in event))
        .map(([name]) => name);
      expect(withPattern.sort()).toEqual([...new Set(eventRules(config).map((rule) => rule.target))].sort());
    });
  });

  test('a schedule rule runs sweepDeployments every minute', () => {
    const rules = rulesTargeting('sweepDeployments');
    expect(rules).toHaveLength(1);
    const [logicalId, properties] = rules[0]!;
    expect(properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(properties.State).toBe('ENABLED');
    expect(properties.EventPattern).toBeUndefined();
    // EventBridge may invoke the function only for this rule.
    expect(permissionsFor('sweepDeployments')).toContainEqual(
      expect.objectContaining({
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalId, 'Arn'] },
      }),
    );
  });

  test('a schedule rule runs reconcileImages every reconciliation.everyMinutes of the config', () => {
    const rules = rulesTargeting('reconcileImages');
    expect(rules).toHaveLength(1);
    const [logicalId, properties] = rules[0]!;
    expect(config.reconciliation.everyMinutes).toBe(5);
    expect(properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(properties.State).toBe('ENABLED');
    expect(permissionsFor('reconcileImages')).toEqual([
      expect.objectContaining({
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalId, 'Arn'] },
      }),
    ]);
  });

  describe('notifications', () => {
    test('a standard SNS topic exists, and its ARN is an output to subscribe to', () => {
      expect(template.Resources.NotificationTopic?.Type).toBe('AWS::SNS::Topic');
      expect(template.Resources.NotificationTopic?.Properties?.FifoTopic).toBeUndefined();
      const outputs = (template as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;
      expect(outputs.NotificationTopicArn?.Value).toEqual({ Ref: 'NotificationTopic' });
    });

    test.each(['stopStage', 'requestApproval'])(
      '%s publishes to the topic and knows the chat webhook secret',
      (name) => {
        const environment = template.Resources[functionLogicalId(name)]!.Properties!.Environment as {
          Variables: Record<string, unknown>;
        };
        expect(environment.Variables.NOTIFICATION_TOPIC_ARN).toEqual({ Ref: 'NotificationTopic' });
        expect(environment.Variables.CHAT_WEBHOOK_SECRET_NAME).toBe(
          `${serverlessYml.service}/ci/chat-webhook-url`,
        );
        expect(template.Resources.ChatWebhookUrl?.Properties?.Name).toBe(
          environment.Variables.CHAT_WEBHOOK_SECRET_NAME,
        );
      },
    );

    test('sns:Publish is granted on the notification topic only, and the chat secret may be read', () => {
      const statements = Object.values(template.Resources)
        .filter((r) => IAM_POLICY_TYPES.has(r.Type))
        .flatMap((r) => policyStatementsOf(r));
      const publishing = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('sns:')));
      expect(publishing.length).toBeGreaterThan(0);
      for (const statement of publishing) {
        expect(actionsOf(statement)).toEqual(['sns:Publish']);
        expect(asArray(statement.Resource)).toEqual([{ Ref: 'NotificationTopic' }]);
      }
      const secretReads = statements.filter((st) => actionsOf(st).includes('secretsmanager:GetSecretValue'));
      expect(secretReads.flatMap((st) => asArray(st.Resource))).toContainEqual({ Ref: 'ChatWebhookUrl' });
    });
  });

  test('EventBridge may invoke each rule target, and nothing else may invoke the functions', () => {
    for (const target of [...eventRules(config).map((r) => r.target), 'sweepDeployments']) {
      const rules = eventRules(config).filter((r) => r.target === target).length || 1;
      expect(permissionsFor(target)).toEqual(
        Array.from({ length: rules }, () =>
          expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' }),
        ),
      );
    }
    // The HTTP entry points, through API Gateway: the GitHub webhook and the approval pages.
    const httpEntryPoints = ['receiveGithubWebhook', 'approvalPage'];
    for (const name of httpEntryPoints)
      expect(permissionsFor(name)).toEqual([
        expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' }),
      ]);
    for (const [, permission] of resourcesOfType('AWS::Lambda::Permission')) {
      const http = httpEntryPoints.some((name) =>
        JSON.stringify(permission.FunctionName).includes(functionLogicalId(name)),
      );
      expect(permission.Principal).toBe(http ? 'apigateway.amazonaws.com' : 'events.amazonaws.com');
    }
  });

  describe('the state machines', () => {
    test.each(Object.entries(serverlessYml.stepFunctions.stateMachines))(
      '%s is deployed with the states of its statemachines/*.asl.yml',
      (name, stateMachine) => {
        const file = definitionFileOf(stateMachine.definition);
        const resource = template.Resources[stateMachine.id];
        expect(resource?.Type).toBe('AWS::StepFunctions::StateMachine');
        const deployed = withoutDefaultQueryLanguage(
          parseDefinitionString(resource!.Properties!.DefinitionString),
        ) as Record<string, unknown>;
        const source = loadStateMachineDefinition(file);

        expect(stateNames(deployed)).toEqual(stateNames(source));
        expect(deployed).toEqual(source);
        expect(stateNames(source).length).toBeGreaterThan(0);
        expect(name).toBeTruthy();
      },
    );

    test('the role of each state machine may invoke exactly the functions its definition calls', () => {
      for (const stateMachine of Object.values(serverlessYml.stepFunctions.stateMachines)) {
        const properties = template.Resources[stateMachine.id]!.Properties!;
        const roleId = (properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const statements = policyStatementsOf(template.Resources[roleId]!);
        expect(statements.flatMap((s) => actionsOf(s))).toEqual(['lambda:InvokeFunction']);

        const invocable = new Set(
          statements.flatMap((s) => asArray(s.Resource)).map((r) => logicalIdIn(r) ?? JSON.stringify(r)),
        );
        const called = new Set(
          [
            ...JSON.stringify(loadStateMachineDefinition(definitionFileOf(stateMachine.definition))).matchAll(
              /arn:aws:lambda:[^:]+:\d{12}:function:([A-Za-z0-9_-]+)/g,
            ),
          ].map((m) => functionLogicalId(m[1]!)),
        );
        expect([...invocable].sort()).toEqual([...called].sort());
      }
    });
  });

  describe('the Lambda functions', () => {
    test('every function runs nodejs22.x', () => {
      const functions = resourcesOfType('AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThan(0);
      for (const [logicalId, properties] of functions)
        expect({ logicalId, runtime: properties.Runtime }).toEqual({ logicalId, runtime: 'nodejs22.x' });
    });

    test('serverless.yml declares one function per folder of functions/, with its bundle as handler', () => {
      const folders = functionNames().sort();
      expect(Object.keys(serverlessYml.functions).map(kebabCase).sort()).toEqual(folders);
      for (const [name, fn] of Object.entries(serverlessYml.functions)) {
        expect({ name, handler: fn.handler }).toEqual({
          name,
          handler: `dist/functions/${kebabCase(name)}/handler.handler`,
        });
        const deployed = template.Resources[functionLogicalId(name)]?.Properties;
        expect(deployed?.Handler).toBe(fn.handler);
      }
      // Every folder of functions/ is a function (has a handler.ts).
      const directories = readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name);
      expect(directories.sort()).toEqual(folders);
    });

    test("each function's package holds its handler bundle and the configuration it reads", () => {
      expect(serverlessYml.package?.individually).toBe(true);
      const configFile = serverlessYml.provider.environment?.PIPELINE_CONFIG_FILE;
      expect(typeof configFile).toBe('string');
      for (const [name, fn] of Object.entries(serverlessYml.functions)) {
        const patterns = [...(serverlessYml.package?.patterns ?? []), ...(fn.package?.patterns ?? [])];
        const handlerFile = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`;
        expect({ name, handlerFile, packaged: isPackaged(handlerFile, patterns) }).toEqual({
          name,
          handlerFile,
          packaged: true,
        });
        expect({ name, configFile, packaged: isPackaged(configFile as string, patterns) }).toEqual({
          name,
          configFile,
          packaged: true,
        });
        // Another function's bundle stays out of this package.
        const other = Object.values(serverlessYml.functions).find((f) => f !== fn)!;
        expect(isPackaged(`${other.handler.slice(0, other.handler.lastIndexOf('.'))}.js`, patterns)).toBe(
          false,
        );
        expect(existsSync(join(ROOT, handlerFile))).toBe(true);
      }
    });
  });

  test('the DynamoDB table is keyed by pk/sk and expires items on expiresAt', () => {
    const tables = resourcesOfType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const [, table] = tables[0]!;
    expect(table.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    );
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
  });

  describe('IAM', () => {
    const allowStatements = () =>
      Object.entries(template.Resources)
        .filter(([, r]) => IAM_POLICY_TYPES.has(r.Type))
        .flatMap(([logicalId, r]) =>
          policyStatementsOf(r)
            .filter((s) => s.Effect === 'Allow')
            .map((statement) => ({ logicalId, statement })),
        );

    test('covers every role, including the one serverless-step-functions generates', () => {
      const roles = resourcesOfType('AWS::IAM::Role').map(([id]) => id);
      expect(roles).toEqual(expect.arrayContaining(['IamRoleLambdaExecution', 'PromoteStateMachineRole']));
      const withStatements = new Set(allowStatements().map((s) => s.logicalId));
      for (const role of roles) expect(withStatements).toContain(role);
    });

    test('no statement allows "*", "service:*" or any wildcard action, or uses NotAction/NotResource', () => {
      for (const { logicalId, statement } of allowStatements()) {
        expect({ logicalId, NotAction: statement.NotAction, NotResource: statement.NotResource }).toEqual({
          logicalId,
          NotAction: undefined,
          NotResource: undefined,
        });
        for (const action of actionsOf(statement))
          expect({ logicalId, action, wildcard: action.includes('*') }).toEqual({
            logicalId,
            action,
            wildcard: false,
          });
      }
    });

    test('Resource "*" is granted only for the actions AWS cannot scope (allow-list in this test)', () => {
      const onAnyResource = allowStatements().filter(({ statement }) =>
        asArray(statement.Resource).includes('*'),
      );
      for (const { logicalId, statement } of onAnyResource)
        for (const action of actionsOf(statement))
          expect({ logicalId, action, allowListed: action in ALLOWED_ON_ANY_RESOURCE }).toEqual({
            logicalId,
            action,
            allowListed: true,
          });
      // Every allow-list entry carries its reason.
      for (const reason of Object.values(ALLOWED_ON_ANY_RESOURCE)) expect(reason.length).toBeGreaterThan(10);
    });

    test('roles attach no managed policies (their permissions could not be checked here)', () => {
      for (const [logicalId, role] of resourcesOfType('AWS::IAM::Role'))
        expect({ logicalId, managed: role.ManagedPolicyArns ?? [] }).toEqual({ logicalId, managed: [] });
    });

    test('only AWS services can assume the roles', () => {
      for (const [logicalId, role] of resourcesOfType('AWS::IAM::Role')) {
        const trust = (role.AssumeRolePolicyDocument as { Statement: PolicyStatement[] }).Statement;
        for (const statement of trust)
          expect({ logicalId, principals: Object.keys(statement.Principal as object) }).toEqual({
            logicalId,
            principals: ['Service'],
          });
      }
    });
  });
});

// ---- helpers -------------------------------------------------------------------------------------

const IAM_POLICY_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);

function resourcesOfType(type: string): [string, Record<string, unknown>][] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

function kebabCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function rulesTargeting(functionName: string): [string, Record<string, unknown>][] {
  const arn = { 'Fn::GetAtt': [functionLogicalId(functionName), 'Arn'] };
  return resourcesOfType('AWS::Events::Rule').filter(([, rule]) =>
    (rule.Targets as { Arn: unknown }[]).some((t) => JSON.stringify(t.Arn) === JSON.stringify(arn)),
  );
}

function permissionsFor(functionName: string): Record<string, unknown>[] {
  const arn = JSON.stringify({ 'Fn::GetAtt': [functionLogicalId(functionName), 'Arn'] });
  return resourcesOfType('AWS::Lambda::Permission')
    .map(([, permission]) => permission)
    .filter((permission) => JSON.stringify(permission.FunctionName) === arn);
}

/** `${file(./statemachines/<name>.asl.yml)}` in serverless.yml (still unresolved in the raw YAML). */
function definitionFileOf(definition: unknown): string {
  const match = /^\$\{file\(\.\/statemachines\/([\w-]+)\.asl\.yml\)\}$/.exec(String(definition));
  if (!match) throw new Error(`state machine definition ${String(definition)} is not a statemachines/ file`);
  return match[1]!;
}

/**
 * Resolves a DefinitionString (a string, Fn::Sub with variables or Fn::Join) far enough to parse it: a
 * function's `Fn::GetAtt [<Function>LambdaFunction, Arn]` becomes the ARN loadStateMachineDefinition
 * gives that function locally, any other reference a placeholder that cannot match.
 */
function parseDefinitionString(value: unknown): unknown {
  const resolveReference = (ref: unknown): string => {
    const logicalId = logicalIdIn(ref);
    const functionName = Object.keys(serverlessYml.functions).find((f) => functionLogicalId(f) === logicalId);
    return functionName ? localFunctionArn(functionName) : `<unresolved ${JSON.stringify(ref)}>`;
  };
  let text: string;
  if (typeof value === 'string') text = value;
  else if (isObject(value) && 'Fn::Sub' in value) {
    const sub = value['Fn::Sub'];
    const [body, variables] = Array.isArray(sub)
      ? (sub as [string, Record<string, unknown>])
      : [sub as string, {}];
    text = body.replace(/\$\{([^}!]+)\}/g, (_, name: string) =>
      name in variables ? resolveReference(variables[name]) : `<unresolved ${name}>`,
    );
  } else if (isObject(value) && 'Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
    text = parts.map((part) => (typeof part === 'string' ? part : resolveReference(part))).join(separator);
  } else throw new Error(`unexpected DefinitionString ${JSON.stringify(value).slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

/** The logical id of `Fn::GetAtt [id, Arn]`, `Ref: id` or `Fn::Sub ['${functionArn}:*', {functionArn: ...}]`. */
function logicalIdIn(ref: unknown): string | undefined {
  if (!isObject(ref)) return undefined;
  if (Array.isArray(ref['Fn::GetAtt'])) return String(ref['Fn::GetAtt'][0]);
  if (typeof ref.Ref === 'string') return ref.Ref;
  const sub = ref['Fn::Sub'];
  if (Array.isArray(sub) && isObject(sub[1])) {
    const refs = Object.values(sub[1]).map(logicalIdIn);
    return refs.length === 1 ? refs[0] : undefined;
  }
  return undefined;
}

/**
 * The plugin runs asl-validator on the definition before writing it, and asl-validator sets
 * `QueryLanguage: JSONPath`, the default, on every state it sees: drop it again to compare with the source.
 */
function withoutDefaultQueryLanguage(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaultQueryLanguage);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !(k === 'QueryLanguage' && v === 'JSONPath'))
      .map(([k, v]) => [k, withoutDefaultQueryLanguage(v)]),
  );
}

/** Every state name, nested ones (Map, Parallel) included, with its type. */
function stateNames(definition: Record<string, unknown>): string[] {
  const names: string[] = [];
  const visit = (machine: Record<string, unknown>) => {
    for (const [name, state] of Object.entries(
      (machine.States ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      names.push(`${name} (${String(state.Type)})`);
      for (const nested of [state.ItemProcessor, state.Iterator, ...asArray(state.Branches)])
        if (isObject(nested)) visit(nested);
    }
  };
  visit(definition);
  return names;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether `file` ends up in a package with these patterns, applied in order as serverless does: a
 * pattern includes what it matches, a `!pattern` excludes it again.
 */
function isPackaged(file: string, patterns: string[]): boolean {
  let included = false;
  for (const pattern of patterns) {
    const exclude = pattern.startsWith('!');
    if (globToRegExp(exclude ? pattern.slice(1) : pattern).test(file)) included = !exclude;
  }
  return included;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        source += '(?:.*/)?';
        i++;
      } else source += '.*';
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
