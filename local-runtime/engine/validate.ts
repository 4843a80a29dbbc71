/**
 * Structural validation of a definition at createStateMachine time, so a typo fails loudly and early rather
 * than halfway through an execution. Not a full ASL validator (asl-validator exists for that): it checks
 * what the interpreter relies on.
 */
import { validateChoiceRule } from './choice';
import { checkPayloadTemplate } from './intrinsics';
import type { StateMachineDefinition } from './types';

const stateTypes = new Set(['Pass', 'Task', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map']);

/** Throws an Error describing the first problem found. */
export function validateDefinition(
  definition: unknown,
  where = 'StateMachine',
): asserts definition is StateMachineDefinition {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw new Error(`${where}: the definition must be a JSON object`);
  }
  const def = definition as Record<string, unknown>;
  if (typeof def.StartAt !== 'string' || def.StartAt === '') throw new Error(`${where}: StartAt is missing`);
  const states = def.States;
  if (
    typeof states !== 'object' ||
    states === null ||
    Array.isArray(states) ||
    Object.keys(states).length === 0
  ) {
    throw new Error(`${where}: States must be a non-empty object`);
  }
  const names = new Set(Object.keys(states));
  if (!names.has(def.StartAt)) throw new Error(`${where}: StartAt '${def.StartAt}' is not a state`);
  if (def.TimeoutSeconds !== undefined && !isPositiveInteger(def.TimeoutSeconds)) {
    throw new Error(`${where}: TimeoutSeconds must be a positive integer`);
  }

  const target = (next: unknown, field: string, stateWhere: string): void => {
    if (typeof next !== 'string' || !names.has(next)) {
      throw new Error(`${stateWhere}: ${field} '${String(next)}' does not name a state`);
    }
  };

  for (const [name, raw] of Object.entries(states as Record<string, unknown>)) {
    const stateWhere = `${where}.States.${name}`;
    if (name.length > 80) throw new Error(`${stateWhere}: state names are limited to 80 characters`);
    if (typeof raw !== 'object' || raw === null) throw new Error(`${stateWhere}: a state must be an object`);
    const state = raw as Record<string, unknown>;
    const type = state.Type;
    if (typeof type !== 'string' || !stateTypes.has(type)) {
      throw new Error(`${stateWhere}: unknown state Type '${String(type)}'`);
    }

    if (type === 'Choice') {
      if (!Array.isArray(state.Choices) || state.Choices.length === 0)
        throw new Error(`${stateWhere}: Choices must be a non-empty array`);
      state.Choices.forEach((rule: unknown, i: number) => {
        validateChoiceRule(rule, `${stateWhere}.Choices[${i}]`, true);
        target((rule as { Next?: unknown }).Next, 'Next', `${stateWhere}.Choices[${i}]`);
      });
      if (state.Default !== undefined) target(state.Default, 'Default', stateWhere);
    } else if (type === 'Succeed' || type === 'Fail') {
      if (state.Next !== undefined || state.End !== undefined)
        throw new Error(`${stateWhere}: a ${type} state cannot have Next or End`);
    } else {
      const hasNext = state.Next !== undefined;
      const isEnd = state.End === true;
      if (hasNext === isEnd) throw new Error(`${stateWhere}: exactly one of Next or End: true is required`);
      if (hasNext) target(state.Next, 'Next', stateWhere);
    }

    if (type === 'Task' && (typeof state.Resource !== 'string' || state.Resource === '')) {
      throw new Error(`${stateWhere}: Resource is required`);
    }
    if (type === 'Wait') {
      const fields = ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'].filter(
        (f) => state[f] !== undefined,
      );
      if (fields.length !== 1)
        throw new Error(
          `${stateWhere}: exactly one of Seconds, SecondsPath, Timestamp, TimestampPath is required`,
        );
    }
    if (type === 'Parallel') {
      if (!Array.isArray(state.Branches) || state.Branches.length === 0)
        throw new Error(`${stateWhere}: Branches must be a non-empty array`);
      state.Branches.forEach((branch: unknown, i: number) =>
        validateDefinition(branch, `${stateWhere}.Branches[${i}]`),
      );
    }
    if (type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor === undefined) throw new Error(`${stateWhere}: ItemProcessor (or Iterator) is required`);
      validateDefinition(processor, `${stateWhere}.ItemProcessor`);
      const mode = (processor as { ProcessorConfig?: { Mode?: unknown } }).ProcessorConfig?.Mode;
      if (mode !== undefined && mode !== 'INLINE')
        throw new Error(`${stateWhere}: only INLINE Map processing is supported`);
      if (state.ItemSelector !== undefined && state.Parameters !== undefined) {
        throw new Error(`${stateWhere}: use ItemSelector or Parameters, not both`);
      }
    }

    for (const field of ['Retry', 'Catch'] as const) {
      const list = state[field];
      if (list === undefined) continue;
      if (!['Task', 'Parallel', 'Map'].includes(type))
        throw new Error(`${stateWhere}: ${field} is not allowed on a ${type} state`);
      if (!Array.isArray(list)) throw new Error(`${stateWhere}: ${field} must be an array`);
      list.forEach((entry: unknown, i: number) => {
        const e = entry as { ErrorEquals?: unknown; Next?: unknown };
        const entryWhere = `${stateWhere}.${field}[${i}]`;
        if (!Array.isArray(e.ErrorEquals) || e.ErrorEquals.length === 0)
          throw new Error(`${entryWhere}: ErrorEquals must be a non-empty array`);
        if (e.ErrorEquals.includes('States.ALL') && (e.ErrorEquals.length > 1 || i !== list.length - 1)) {
          throw new Error(
            `${entryWhere}: States.ALL must appear alone and in the last ${field === 'Retry' ? 'retrier' : 'catcher'}`,
          );
        }
        if (field === 'Catch') target(e.Next, 'Next', entryWhere);
      });
    }

    for (const field of ['Parameters', 'ItemSelector', 'ResultSelector']) {
      if (state[field] !== undefined) checkPayloadTemplate(state[field], `${stateWhere}.${field}`);
    }
  }
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
