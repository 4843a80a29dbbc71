/**
 * Time scales per purpose for `pipeline local`: deployments and bakes may run 600× faster while waiting on
 * a person runs in real time. There is still one clock per stack (every writer stamps with it, and an
 * approval's expiry is counted on it): only its speed changes, with what the stack is waiting for.
 *
 * The rule: the clock runs at the `approval` scale while at least one execution waits for an approval and
 * every other running execution waits for one too or queues for a deployment lock (behind one); at the
 * `bake` scale whenever anything else is under way or nothing runs. So an approval left alone lasts its
 * timeout in `approval`-scaled time, and only runs faster while other work (a deploy, a bake) goes on.
 */
import { ScaledClock } from '../shared/clock';
import { ACTIVITY_OF_STATE } from '../shared/operations/execution-view';
import type { LiveHistoryEvent } from './engine';
import { suggestion } from '../shared/config/did-you-mean';

export const TIME_PURPOSES = ['bake', 'approval'] as const;
export type TimePurpose = (typeof TIME_PURPOSES)[number];

/** How many times faster than real time pipeline time runs, per purpose. */
export type TimeScales = Record<TimePurpose, number>;

/** Why a `--time-scale` value cannot be used; the message says what to write instead. */
export class TimeScaleSyntaxError extends Error {
  override readonly name = 'TimeScaleSyntaxError';
}

const SYNTAX = 'expected a number (600) or purpose=scale pairs (bake=600,approval=1; real means 1)';

/**
 * Reads `600` (every purpose), or `bake=600,approval=1` (a purpose left out keeps `defaults`' scale).
 * `real` stands for 1. Throws TimeScaleSyntaxError naming the part that is wrong.
 */
export function parseTimeScales(text: string, defaults: TimeScales): TimeScales {
  const trimmed = text.trim();
  if (!trimmed.includes('=')) {
    const scale = scaleOf(trimmed, text);
    return { bake: scale, approval: scale };
  }
  const scales = { ...defaults };
  const seen = new Set<string>();
  for (const part of trimmed.split(',')) {
    const [purpose = '', value, ...rest] = part.split('=').map((p) => p.trim());
    if (value === undefined || rest.length > 0 || purpose === '')
      throw new TimeScaleSyntaxError(`"${part}" in "${text}": ${SYNTAX}`);
    if (!(TIME_PURPOSES as readonly string[]).includes(purpose))
      throw new TimeScaleSyntaxError(
        `unknown purpose "${purpose}"${suggestion(purpose, [...TIME_PURPOSES])} in "${text}" ` +
          `(purposes: ${TIME_PURPOSES.join(', ')})`,
      );
    if (seen.has(purpose)) throw new TimeScaleSyntaxError(`${purpose} is given twice in "${text}"`);
    seen.add(purpose);
    scales[purpose as TimePurpose] = scaleOf(value, `${purpose}=${value}`);
  }
  return scales;
}

function scaleOf(value: string, where: string): number {
  if (value === 'real') return 1;
  const scale = Number(value);
  if (value === '' || !Number.isFinite(scale) || !(scale > 0))
    throw new TimeScaleSyntaxError(`"${where}": a scale must be a positive number or real; ${SYNTAX}`);
  return scale;
}

/**
 * What the stack waits for, from the state each running execution is in: `approval` when someone must
 * decide and nothing else moves, `bake` otherwise.
 */
export function purposeOf(currentStates: Iterable<string>): TimePurpose {
  let person = false;
  for (const state of currentStates) {
    const activity = ACTIVITY_OF_STATE[state];
    if (activity === 'waiting for approval') person = true;
    else if (activity !== 'waiting for the deployment lock') return 'bake';
  }
  return person ? 'approval' : 'bake';
}

/** The stack's one clock, which knows its scale per purpose; `followTimePurpose` switches between them. */
export class PurposeScaledClock extends ScaledClock {
  constructor(
    readonly scales: TimeScales,
    start?: number,
  ) {
    super(scales.bake, start);
  }
}

/**
 * Keeps `clock` at the scale of what the stack waits for, following the engine's history events: the
 * state each running execution entered last. `running` seeds the executions already running (a restart
 * on a data directory). Returns the function that stops following.
 */
export function followTimePurpose(
  engine: { onEvent(listener: (event: LiveHistoryEvent) => void): () => void },
  clock: Pick<PurposeScaledClock, 'setScale' | 'scales'>,
  running: Iterable<[executionArn: string, state: string]> = [],
): () => void {
  const { scales } = clock;
  const current = new Map<string, string>(running);
  const apply = () => clock.setScale(scales[purposeOf(current.values())]);
  apply();
  if (scales.bake === scales.approval) return () => {};
  return engine.onEvent((event) => {
    const name = event.details.name;
    if (event.type === 'ExecutionStarted' || event.type === 'ExecutionRedriven')
      current.set(event.executionArn, '');
    else if (/^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(event.type))
      current.delete(event.executionArn);
    else if (event.type.endsWith('StateEntered') && name !== undefined) current.set(event.executionArn, name);
    else return;
    apply();
  });
}
