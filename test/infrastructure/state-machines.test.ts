/**
 * Static checks of every statemachines/*.asl.yml, the definitions serverless.yml deploys and the local
 * runtime runs: valid ASL, explicit error handling on every Task, error names from one list, function
 * references that exist, readable state names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  loadStateMachineDefinition,
  STATE_MACHINES_DIR,
} from '../../local-runtime/state-machine-definitions';
import { ERROR_NAMES } from '../../shared/domain/errors';
import { loadServerlessYml } from '../support/serverless-yml';

interface AslValidatorResult {
  isValid: boolean;
  errors: { message?: string }[];
  errorsText: (separator?: string) => string;
}
type AslValidator = (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => AslValidatorResult;
// asl-validator ships no type declarations.
const aslValidator = createRequire(__filename)('asl-validator') as AslValidator;

type State = Record<string, unknown> & { Type: string };
interface Retrier {
  ErrorEquals: string[];
}
interface Catcher {
  ErrorEquals: string[];
  Next: string;
}

// Whole machines are the files serverless.yml deploys; the others are fragments they include
// (stage.asl.yml), checked as part of each machine that includes them.
const NAMES = Object.values(loadServerlessYml().stepFunctions.stateMachines)
  .map((machine) => /\/statemachines\/([\w-]+)\.asl\.yml/.exec(String(machine.definition))?.[1] ?? '')
  .sort();
const FILES = readdirSync(STATE_MACHINES_DIR)
  .filter((file) => file.endsWith('.asl.yml'))
  .map((file) => file.slice(0, -'.asl.yml'.length))
  .sort();
const FUNCTIONS = Object.keys(loadServerlessYml().functions);
const KNOWN_ERROR_NAMES = new Set<string>(Object.values(ERROR_NAMES));
/** The release's steps before its first deploy (release.asl.yml). */
const releasePreparation = new Set(['Check the release', 'Resolve the release image']);

test('there are state machines to check', () => {
  expect(NAMES.length).toBeGreaterThan(0);
});

describe.each(NAMES)('statemachines/%s.asl.yml', (name) => {
  // Each test gets its own copy: asl-validator writes QueryLanguage into the states it validates.
  const definition = () => loadStateMachineDefinition(name);

  test('is valid Amazon States Language (asl-validator, paths and ARNs checked)', () => {
    const result = aslValidator(definition(), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('every Fn::GetAtt names a function of serverless.yml, by its Arn', () => {
    const references = FILES.flatMap((file) =>
      getAttReferences(parse(readFileSync(join(STATE_MACHINES_DIR, `${file}.asl.yml`), 'utf8'))),
    );
    expect(references.length).toBeGreaterThan(0);
    for (const [functionName, attribute] of references) {
      expect({ functionName, known: FUNCTIONS.includes(functionName) }).toEqual({
        functionName,
        known: true,
      });
      expect(attribute).toBe('Arn');
    }
  });

  test('every error in Retry and Catch is States.*, Lambda.* or one of ERROR_NAMES', () => {
    const used = allStates(definition()).flatMap(({ state }) =>
      [...retriersOf(state), ...catchersOf(state)].flatMap((handler) => handler.ErrorEquals),
    );
    expect(used.length).toBeGreaterThan(0);
    for (const error of used)
      expect({
        error,
        known: error.startsWith('States.') || error.startsWith('Lambda.') || KNOWN_ERROR_NAMES.has(error),
      }).toEqual({ error, known: true });
  });

  test('every state name is human-readable: capitalised words, no identifiers', () => {
    for (const { name: stateName } of allStates(definition()))
      expect({ stateName, readable: isReadableStateName(stateName) }).toEqual({ stateName, readable: true });
  });

  /**
   * The error-handling rule, per state machine level (each States block, Map item processors included):
   * - on the normal path (what StartAt reaches through Next and Choice), every Task retries transient
   *   failures and catches States.ALL, so that any failure leads to the rollback (README: "any failure
   *   ─▶ Roll back region");
   * - on the failure path (what those Catches lead to), every Task retries as well and has a Catch too,
   *   except the tasks the failure path's own Catches lead to: they end the failure path by failing the
   *   stage on purpose ("Stop the stage" raises the stage's error), and a Catch there would swallow it.
   */
  test('every Task retries; normal-path Tasks catch everything; failure-path Tasks catch, except the last', () => {
    for (const states of allStatesBlocks(definition())) {
      const normalPath = reachable(states.StartAt, states.States, { followCatch: false });
      const failurePath = new Set(
        [...normalPath]
          .flatMap((stateName) => catchersOf(states.States[stateName]!).map((c) => c.Next))
          .flatMap((target) => [...reachable(target, states.States, { followCatch: true })])
          .filter((stateName) => !normalPath.has(stateName)),
      );
      const failurePathEnds = new Set(
        [...failurePath].flatMap((stateName) => catchersOf(states.States[stateName]!).map((c) => c.Next)),
      );

      for (const [stateName, state] of Object.entries(states.States)) {
        if (state.Type !== 'Task') continue;
        const retries = retriersOf(state);
        const catches = catchersOf(state);
        expect({ stateName, retries: retries.length > 0 }).toEqual({ stateName, retries: true });
        if (normalPath.has(stateName) && releasePreparation.has(stateName)) {
          // Before any deploy there is nothing to roll back: these fail the execution as they are, and a
          // redrive re-runs them (e.g. after the build pushed the missing image).
          expect({ stateName, catches: catches.length }).toEqual({ stateName, catches: 0 });
        } else if (normalPath.has(stateName)) {
          expect({
            stateName,
            catchesAll: catches.some((c) => c.ErrorEquals.includes('States.ALL')),
          }).toEqual({
            stateName,
            catchesAll: true,
          });
          // The rollback is reached from every Catch of the normal path, not a state after the failure,
          // except the quiet end of a callback whose timeout is its normal end (the bake).
          for (const c of catches.filter((c) => !endsNormallyOnTimeout(stateName, state, c)))
            expect({ stateName, catchLeadsOffThePath: failurePath.has(c.Next) }).toEqual({
              stateName,
              catchLeadsOffThePath: true,
            });
        } else if (!failurePathEnds.has(stateName)) {
          expect({ stateName, catches: catches.length > 0 }).toEqual({ stateName, catches: true });
        }
      }
      // What ends the failure path is off the normal path: a failure cannot end in a normal step.
      for (const end of failurePathEnds) expect(normalPath.has(end)).toBe(false);
    }
  });

  test('the bake waits on a callback: its timeout goes on to the final alarm check, any other error rolls back', () => {
    const states = Object.fromEntries(allStates(definition()).map(({ name, state }) => [name, state]));
    const bake = states.Bake!;
    expect(bake).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.stage.bakeSeconds',
      Next: 'Check alarms after bake',
    });
    expect(catchersOf(bake).map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['States.Timeout'], 'Check alarms after bake'],
      [['States.ALL'], 'Record the failure'],
    ]);
    // A timeout is the quiet end of the bake, never a transient failure to retry.
    expect(retriersOf(bake).flatMap((r) => r.ErrorEquals)).not.toContain('States.Timeout');
    expect(TIMEOUT_ENDS_NORMALLY).toEqual(new Set(['Bake']));
  });

  test('the steps that may die after changing AWS retry Lambda.Unknown, and "Stop the stage" retries AwsTransientError', () => {
    // Deploy to region is idempotent: retried after a crash it finds its ECS deployment instead of rolling back
    // a rollout. Stop the stage must fail with the stage's error, not with a throttled lock release.
    const states = Object.fromEntries(allStates(definition()).map(({ name, state }) => [name, state]));
    const retried = (name: string) => new Set(retriersOf(states[name]!).flatMap((r) => r.ErrorEquals));
    expect(retried('Deploy to region').has('Lambda.Unknown')).toBe(true);
    expect(retried('Stop the stage').has('AwsTransientError')).toBe(true);
    expect(retried('Stop the stage').has('States.ALL')).toBe(false);
  });

  test('every Task retries the Lambda service errors AWS recommends retrying', () => {
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
    for (const { name: stateName, state } of allStates(definition())) {
      if (state.Type !== 'Task') continue;
      const retried = new Set(retriersOf(state).flatMap((r) => r.ErrorEquals));
      const covered =
        retried.has('States.ALL') ||
        ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'].every((e) =>
          retried.has(e),
        );
      expect({ stateName, covered }).toEqual({ stateName, covered: true });
    }
  });
});

// ---- helpers -------------------------------------------------------------------------------------

/** Callback tasks whose timeout is how they end when nothing happened: the bake (no alarm for its time). */
const TIMEOUT_ENDS_NORMALLY = new Set(['Bake']);

/** A Catch of exactly States.Timeout that goes where the task goes on success, on such a task. */
function endsNormallyOnTimeout(stateName: string, state: State, c: Catcher): boolean {
  return (
    TIMEOUT_ENDS_NORMALLY.has(stateName) &&
    c.ErrorEquals.length === 1 &&
    c.ErrorEquals[0] === 'States.Timeout' &&
    c.Next === state.Next
  );
}

interface StatesBlock {
  StartAt: string;
  States: Record<string, State>;
}

/** The top-level States block and every nested one (Map ItemProcessor/Iterator, Parallel Branches). */
function allStatesBlocks(definition: Record<string, unknown>): StatesBlock[] {
  const blocks: StatesBlock[] = [];
  const visit = (block: StatesBlock) => {
    blocks.push(block);
    for (const state of Object.values(block.States))
      for (const nested of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])])
        if (nested && typeof nested === 'object') visit(nested as StatesBlock);
  };
  visit(definition as unknown as StatesBlock);
  return blocks;
}

function allStates(definition: Record<string, unknown>): { name: string; state: State }[] {
  return allStatesBlocks(definition).flatMap((block) =>
    Object.entries(block.States).map(([name, state]) => ({ name, state })),
  );
}

function retriersOf(state: State): Retrier[] {
  return (state.Retry as Retrier[] | undefined) ?? [];
}

function catchersOf(state: State): Catcher[] {
  return (state.Catch as Catcher[] | undefined) ?? [];
}

/** The states reached from `start` through Next, Choices and Default (and Catch, if asked). */
function reachable(
  start: string,
  states: Record<string, State>,
  options: { followCatch: boolean },
): Set<string> {
  const seen = new Set<string>();
  const pending = [start];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    const state = states[name];
    if (!state) throw new Error(`transition to unknown state "${name}"`);
    seen.add(name);
    if (typeof state.Next === 'string') pending.push(state.Next);
    if (typeof state.Default === 'string') pending.push(state.Default);
    for (const choice of (state.Choices as { Next: string }[] | undefined) ?? []) pending.push(choice.Next);
    if (options.followCatch) for (const c of catchersOf(state)) pending.push(c.Next);
  }
  return seen;
}

/**
 * A state name reads as words for the console and the execution history: it starts with a capital letter,
 * has no underscores, dashes or camelCase humps, and is several words ("Deploy to region") or one plain
 * capitalised word ("Bake"). A trailing "?" marks Choice states ("Rollback needs a deployment?").
 */
function isReadableStateName(name: string): boolean {
  if (!/^[A-Z]/.test(name) || /[_\-]/.test(name) || name !== name.trim() || / {2}/.test(name)) return false;
  const words = name.replace(/\?$/, '').split(' ');
  const camelCase = words.some((word) => /[a-z][A-Z]/.test(word));
  return !camelCase && (words.length > 1 || /^[A-Z][a-z]+$/.test(words[0]!));
}

/** Every `Fn::GetAtt: [name, attribute]` in the raw YAML. */
function getAttReferences(value: unknown): [string, string][] {
  if (Array.isArray(value)) return value.flatMap(getAttReferences);
  if (value === null || typeof value !== 'object') return [];
  const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
  const own: [string, string][] = Array.isArray(getAtt) ? [[String(getAtt[0]), String(getAtt[1])]] : [];
  return [...own, ...Object.values(value).flatMap(getAttReferences)];
}
