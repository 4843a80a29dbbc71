/**
 * The differential ASL test's machinery: reads the corpus (test/asl-conformance/corpus/*.json), runs one
 * case through our interpreter (LocalStepFunctions, in-process) and through moto's (an SFN API on loopback,
 * driven with the real SDK client), and reduces both results to a comparable {@link Outcome}.
 *
 * A case is a definition and one input. Both sides see the same region, account, state machine name and
 * execution name, so context-object fields built from them ($$.Execution.Id, $$.StateMachine.Name, ...)
 * must agree too. Times ($$.Execution.StartTime, $$.State.EnteredTime) cannot, and cases avoid them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { LocalStepFunctions, SfnApiError } from '../../local-runtime/engine';
import { jsonEquals } from '../../local-runtime/engine/intrinsics';
import { AutoAdvanceClock } from '../../local-runtime/auto-advance-clock';
import { MOTO_ACCOUNT } from '../support/moto-server';

export const CORPUS_DIR = join(__dirname, 'corpus');
export const KNOWN_DIFFERENCES_FILE = join(__dirname, 'known-differences.json');

/** Both interpreters run as this region and account. */
export const REGION = 'eu-west-1';
const ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/asl-conformance`;

/** One definition with one input, as written in a corpus file. */
export interface CorpusCase {
  /** Unique within its file; the case's id is `<file name without .json>/<name>`. */
  name: string;
  definition: unknown;
  /** The execution input (default `{}`). */
  input?: unknown;
  /**
   * Whether a failure's Cause must agree too. Default: only when the error is not a `States.*` error, i.e.
   * when the definition itself names the error and gives its cause (a Fail state). The causes that the
   * interpreters write for their own runtime errors are free text and differ in wording.
   */
  compareCause?: boolean;
  /** Why the case exists, when its name does not say it. */
  note?: string;
}

export interface CorpusFile {
  /** What the family covers. */
  description: string;
  cases: CorpusCase[];
}

export interface LoadedCase extends CorpusCase {
  /** `<family>/<name>`. */
  id: string;
  family: string;
  /** A valid, unique execution name derived from the id. */
  resourceName: string;
  /**
   * The state machine's name: the resourceName of the first case with the same definition. Cases that differ
   * only in their input share one machine, on both sides, so moto parses each definition once at creation.
   */
  machineName: string;
}

/**
 * How an execution ended, reduced to what both interpreters must agree on. `INVALID_DEFINITION` means that
 * CreateStateMachine refused the definition.
 */
export type Outcome =
  | { status: 'SUCCEEDED'; output: unknown }
  /** DescribeExecution's `output` is not JSON (the API defines it as a JSON string). */
  | { status: 'SUCCEEDED'; outputNotJson: string }
  | { status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; error: string; cause?: string }
  | { status: 'INVALID_DEFINITION' }
  | { status: 'STILL_RUNNING' };

export interface KnownDifference {
  /** The case id. */
  case: string;
  /** What our interpreter does (compared exactly). */
  ours: Outcome;
  /** What moto does (compared exactly). */
  moto: Outcome;
  /** The ASL specification's words that decide it, and why moto's result is the wrong one. */
  why: string;
}

/** Reads every corpus file, in file-name order; throws on a malformed file or a duplicate name. */
export function loadCorpus(dir = CORPUS_DIR): LoadedCase[] {
  const cases: LoadedCase[] = [];
  const ids = new Set<string>();
  const machineNames = new Map<string, string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const family = file.slice(0, -'.json'.length);
    const parsed = readJson(join(dir, file)) as Partial<CorpusFile> | null;
    if (typeof parsed?.description !== 'string' || !Array.isArray(parsed.cases)) {
      throw new Error(`${file}: a corpus file is { "description": string, "cases": [...] }`);
    }
    parsed.cases.forEach((c, index) => {
      if (typeof c.name !== 'string' || c.name === '' || c.definition === undefined) {
        throw new Error(`${file}: case #${index} needs a "name" and a "definition"`);
      }
      const id = `${family}/${c.name}`;
      if (ids.has(id)) throw new Error(`${file}: two cases are named '${c.name}'`);
      ids.add(id);
      const name = resourceName(cases.length, id);
      const definitionJson = JSON.stringify(c.definition);
      if (!machineNames.has(definitionJson)) machineNames.set(definitionJson, name);
      cases.push({
        ...c,
        id,
        family,
        resourceName: name,
        machineName: machineNames.get(definitionJson) ?? name,
      });
    });
  }
  return cases;
}

function resourceName(index: number, id: string): string {
  const safe = id.replace(/[^A-Za-z0-9_-]/g, '-');
  return `${index}-${safe}`.slice(0, 80);
}

export function loadKnownDifferences(file = KNOWN_DIFFERENCES_FILE): KnownDifference[] {
  const parsed = readJson(file);
  if (!Array.isArray(parsed)) throw new Error(`${file}: expected an array of known differences`);
  return parsed as KnownDifference[];
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function comparesCause(c: CorpusCase, error: string): boolean {
  return c.compareCause ?? !error.startsWith('States.');
}

function outcomeOf(
  c: CorpusCase,
  status: string | undefined,
  output: string | undefined,
  error: string | undefined,
  cause: string | undefined,
): Outcome {
  if (status === 'SUCCEEDED') {
    try {
      return { status, output: JSON.parse(output ?? 'null') as unknown };
    } catch {
      return { status, outputNotJson: output ?? '' };
    }
  }
  if (status === 'RUNNING' || status === undefined) return { status: 'STILL_RUNNING' };
  if (status !== 'FAILED' && status !== 'TIMED_OUT' && status !== 'ABORTED') {
    throw new Error(`unexpected execution status ${status}`);
  }
  const name = error ?? '';
  return {
    status,
    error: name,
    ...(comparesCause(c, name) && cause !== undefined ? { cause } : {}),
  };
}

/** Runs a case through our interpreter: a fresh engine each time, on virtual time (no Wait really waits). */
export async function runOurs(c: LoadedCase): Promise<Outcome> {
  const sfn = new LocalStepFunctions({
    clock: new AutoAdvanceClock(Date.now()),
    taskHandler: () => Promise.reject(new Error('the conformance corpus has no Task states')),
    region: REGION,
    accountId: MOTO_ACCOUNT,
  });
  let stateMachineArn: string;
  try {
    ({ stateMachineArn } = await sfn.createStateMachine({ name: c.machineName, definition: c.definition }));
  } catch (err) {
    if (err instanceof SfnApiError && err.name === 'InvalidDefinition')
      return { status: 'INVALID_DEFINITION' };
    throw err;
  }
  const { executionArn } = await sfn.startExecution({
    stateMachineArn,
    name: c.resourceName,
    input: JSON.stringify(c.input ?? {}),
  });
  const done = await sfn.waitForExecution(executionArn);
  return outcomeOf(c, done.status, done.output, done.error, done.cause);
}

/** moto's state machines by name, so that cases sharing a definition create it once. */
export type MotoMachines = Map<string, Promise<string | undefined>>;

/**
 * Runs a case through moto's interpreter; polls DescribeExecution until it closes (at most `timeoutMs`).
 * `machines` remembers the machines created so far (undefined: moto refused the definition).
 */
export async function runMoto(
  client: SFNClient,
  c: LoadedCase,
  machines: MotoMachines,
  timeoutMs = 60_000,
): Promise<Outcome> {
  let machine = machines.get(c.machineName);
  if (!machine) {
    machine = createMotoMachine(client, c);
    machines.set(c.machineName, machine);
  }
  const stateMachineArn = await machine;
  if (stateMachineArn === undefined) return { status: 'INVALID_DEFINITION' };
  const { executionArn } = await client.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: c.resourceName,
      input: JSON.stringify(c.input ?? {}),
    }),
  );
  const deadline = Date.now() + timeoutMs;
  for (let delay = 40; ; delay = Math.min(delay * 2, 300)) {
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING' || Date.now() > deadline) {
      return outcomeOf(c, described.status, described.output, described.error, described.cause);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function createMotoMachine(client: SFNClient, c: LoadedCase): Promise<string | undefined> {
  try {
    const { stateMachineArn } = await client.send(
      new CreateStateMachineCommand({
        name: c.machineName,
        definition: JSON.stringify(c.definition),
        roleArn: ROLE_ARN,
      }),
    );
    return stateMachineArn;
  } catch (err) {
    // moto answers a definition its parser refuses with 400 and a null `__type`, which the SDK cannot name
    // (it reports a deserialization error): any 400 from CreateStateMachine is a refused definition.
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if ((err as Error).name === 'InvalidDefinition' || status === 400) return undefined;
    throw err;
  }
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return jsonEquals(a, b);
}

/** One case's run: both outcomes, or why it could not run. */
export type CaseResult = { c: LoadedCase; ours: Outcome; moto: Outcome } | { c: LoadedCase; failure: string };

export interface Verdict {
  /** Cases where both interpreters agree (and none is listed). */
  agreements: number;
  /** Listed differences that occurred exactly as listed. */
  knownDifferences: number;
  /** Unlisted differences, listed ones whose outcomes changed, and cases that could not run. */
  unexpected: string[];
  /** Listed differences that no longer occur: the list must drop them. */
  stale: string[];
}

/** Sorts the results against the known differences: what agrees, what is known, what must be looked at. */
export function judge(results: readonly CaseResult[], known: readonly KnownDifference[]): Verdict {
  const knownByCase = new Map(known.map((d) => [d.case, d]));
  const verdict: Verdict = { agreements: 0, knownDifferences: 0, unexpected: [], stale: [] };
  for (const result of results) {
    if ('failure' in result) {
      verdict.unexpected.push(`${result.c.id}: could not run: ${result.failure}`);
      continue;
    }
    const { c, ours, moto } = result;
    const listed = knownByCase.get(c.id);
    const agree = sameOutcome(ours, moto);
    if (agree && !listed) verdict.agreements++;
    else if (agree) verdict.stale.push(`${c.id}: listed as a difference, but both now give ${show(ours)}`);
    else if (listed && sameOutcome(listed.ours, ours) && sameOutcome(listed.moto, moto))
      verdict.knownDifferences++;
    else verdict.unexpected.push(describeDifference(c.id, ours, moto, listed));
  }
  return verdict;
}

function show(outcome: Outcome): string {
  return JSON.stringify(outcome);
}

function describeDifference(
  id: string,
  ours: Outcome,
  moto: Outcome,
  listed: KnownDifference | undefined,
): string {
  const lines = [`${id}: ours ${show(ours)}, moto ${show(moto)}`];
  if (listed) lines.push(`  listed as ours ${show(listed.ours)}, moto ${show(listed.moto)}`);
  lines.push(
    '  fix our interpreter (quote the ASL spec in the commit), or, when moto is wrong, list it in ' +
      'test/asl-conformance/known-differences.json with the spec words that say so',
  );
  return lines.join('\n');
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}
