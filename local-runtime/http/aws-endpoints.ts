/**
 * The local stack's AWS-compatible endpoints, so that the operator CLI (`pipeline status --local` …) runs the
 * very SDK clients and adapters it runs against AWS:
 *
 * - `POST /aws/states`: the Step Functions JSON protocol (awsJson1_0, `X-Amz-Target: AWSStepFunctions.<Op>`)
 *   over the local engine, for the operations operators use;
 * - `POST /aws/dynamodb`: a pass-through to the local dynalite, which speaks DynamoDB's protocol already.
 *
 * Requests are not authenticated (the server binds 127.0.0.1 and refuses browsers' cross-site requests);
 * signatures the SDK adds are ignored.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { DescribeExecutionOutput, ExecutionListItem, HistoryEvent, LocalStepFunctions } from '../engine';
import { SfnApiError } from '../engine';

export interface AwsApiResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_1_0 = 'application/x-amz-json-1.0';

/** Step Functions' answer to a client mistake: HTTP 400 with the error's type, as the SDK expects. */
function clientError(type: string, message: string): AwsApiResult {
  return {
    status: 400,
    headers: { 'content-type': JSON_1_0, 'x-amzn-errortype': type },
    body: JSON.stringify({ __type: type, message }),
  };
}

const ok = (body: unknown): AwsApiResult => ({
  status: 200,
  headers: { 'content-type': JSON_1_0 },
  body: JSON.stringify(body),
});

/** Dates go over the wire as epoch seconds. */
const seconds = (date: Date | undefined): number | undefined =>
  date === undefined ? undefined : date.getTime() / 1000;

type Engine = Pick<
  LocalStepFunctions,
  | 'listStateMachines'
  | 'listExecutions'
  | 'describeExecution'
  | 'getExecutionHistory'
  | 'redriveExecution'
  | 'startExecution'
  | 'sendTaskSuccess'
  | 'sendTaskFailure'
>;

/** Answers one Step Functions API call (`target` is the `X-Amz-Target` header). */
export async function stepFunctionsApi(
  engine: Engine,
  target: string | undefined,
  body: string,
): Promise<AwsApiResult> {
  const operation = /^AWSStepFunctions\.(\w+)$/.exec(target ?? '')?.[1];
  if (!operation)
    return clientError('UnknownOperationException', 'X-Amz-Target must be AWSStepFunctions.<Op>');
  let input: Record<string, unknown>;
  try {
    const parsed = JSON.parse(body || '{}') as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    input = parsed as Record<string, unknown>;
  } catch {
    return clientError('SerializationException', 'the request body must be a JSON object');
  }
  const text = (field: string): string => {
    const value = input[field];
    if (typeof value !== 'string' || value === '')
      throw new SfnApiError('InvalidArn', `${field} is required`);
    return value;
  };
  try {
    switch (operation) {
      case 'ListStateMachines': {
        const { stateMachines } = await engine.listStateMachines();
        return ok({
          stateMachines: stateMachines.map((m) => ({ ...m, creationDate: seconds(m.creationDate) })),
        });
      }
      case 'ListExecutions': {
        const { executions } = await engine.listExecutions({
          stateMachineArn: text('stateMachineArn'),
          ...(typeof input.statusFilter === 'string' && {
            statusFilter: input.statusFilter as ExecutionListItem['status'],
          }),
        });
        return ok({ executions: executions.map(listItem) });
      }
      case 'DescribeExecution':
        return ok(description(await engine.describeExecution({ executionArn: text('executionArn') })));
      case 'GetExecutionHistory': {
        const { events } = await engine.getExecutionHistory({ executionArn: text('executionArn') });
        const wire = events.map(historyEvent);
        return ok({ events: input.reverseOrder === true ? wire.reverse() : wire });
      }
      case 'RedriveExecution': {
        const { redriveDate } = await engine.redriveExecution({ executionArn: text('executionArn') });
        return ok({ redriveDate: seconds(redriveDate) });
      }
      case 'StartExecution': {
        const started = await engine.startExecution({
          stateMachineArn: text('stateMachineArn'),
          ...(typeof input.name === 'string' && { name: input.name }),
          ...(typeof input.input === 'string' && { input: input.input }),
        });
        return ok({ executionArn: started.executionArn, startDate: seconds(started.startDate) });
      }
      case 'SendTaskSuccess':
        await engine.sendTaskSuccess({ taskToken: text('taskToken'), output: text('output') });
        return ok({});
      case 'SendTaskFailure':
        await engine.sendTaskFailure({
          taskToken: text('taskToken'),
          ...(typeof input.error === 'string' && { error: input.error }),
          ...(typeof input.cause === 'string' && { cause: input.cause }),
        });
        return ok({});
      default:
        return clientError('UnknownOperationException', `${operation} is not served by the local stack`);
    }
  } catch (error) {
    if (error instanceof SfnApiError) return clientError(error.name, error.message);
    throw error;
  }
}

function listItem(e: ExecutionListItem) {
  return { ...e, startDate: seconds(e.startDate), stopDate: seconds(e.stopDate) };
}

function description(e: DescribeExecutionOutput) {
  return {
    ...e,
    startDate: seconds(e.startDate),
    stopDate: seconds(e.stopDate),
    redriveDate: seconds(e.redriveDate),
  };
}

/** Step Functions names each event's details after its type; the engine keeps one details object. */
function historyEvent(event: HistoryEvent) {
  const d = event.details;
  const wire: Record<string, unknown> = {
    id: event.id,
    previousEventId: event.previousEventId ?? 0,
    timestamp: seconds(event.timestamp),
    type: event.type,
  };
  const json = (value: unknown): string | undefined =>
    value === undefined ? undefined : JSON.stringify(value);
  if (event.type.endsWith('StateEntered'))
    wire.stateEnteredEventDetails = { name: d.name, input: json(d.input) };
  else if (event.type.endsWith('StateExited'))
    wire.stateExitedEventDetails = { name: d.name, output: json(d.output) };
  else if (event.type.startsWith('MapIteration'))
    wire[`${lowerFirst(event.type)}EventDetails`] = { name: d.name, index: d.index };
  else if (
    ['TaskFailed', 'TaskTimedOut', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted'].includes(
      event.type,
    )
  )
    wire[`${lowerFirst(event.type)}EventDetails`] = { error: d.error, cause: d.cause };
  return wire;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function withoutHopHeaders(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const { host: _host, connection: _connection, 'content-length': _length, ...rest } = headers;
  return rest;
}

/** Forwards one DynamoDB API call to dynalite, as it came. */
export function forwardToDynamo(
  endpoint: string,
  request: IncomingMessage,
  body: Buffer,
): Promise<AwsApiResult> {
  return new Promise((resolve, reject) => {
    const forwarded = httpRequest(
      endpoint,
      {
        method: 'POST',
        // dynalite wants the SDK's headers (it checks an Authorization header is there, not what it says).
        headers: { ...withoutHopHeaders(request.headers), 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 500,
            headers: { 'content-type': String(response.headers['content-type'] ?? JSON_1_0) },
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    forwarded.on('error', reject);
    forwarded.end(body);
  });
}
