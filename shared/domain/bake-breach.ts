/**
 * A watched alarm that ended a bake: when it fired, how far into the bake, and what saw it. It travels as
 * the cause of the AlarmBreached failure the alarm event or the sweep sends to the baking task, in Lambda's
 * error shape (`{"errorMessage": …}`, so `readableCause` reads it like any step's error) with the timing
 * beside the message, for "Stop the stage" to put in the deployment record.
 */
import * as z from 'zod';

/** What noticed the breach: the alarm's own state change event, the periodic sweep, or the watch as it began. */
export type BreachDetector = 'alarm event' | 'sweep' | 'bake start';

export interface BakeBreach {
  alarmName: string;
  /** Epoch ms the alarm went to ALARM. */
  alarmAt: number;
  reason: string;
  /** Epoch ms the bake began, and how long it was to last. */
  bakeStartedAt: number;
  bakeSeconds: number;
  /** Epoch ms the pipeline acted on it, and what noticed it. */
  detectedAt: number;
  detectedBy: BreachDetector;
}

const bakeBreachSchema = z.object({
  alarmName: z.string(),
  alarmAt: z.number(),
  reason: z.string(),
  bakeStartedAt: z.number(),
  bakeSeconds: z.number(),
  detectedAt: z.number(),
  detectedBy: z.enum(['alarm event', 'sweep', 'bake start']),
});

/** Milliseconds as a person reads a span: `45 s`, `1 min 5 s`, `2 h 3 min`. */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** How far into the bake the alarm fired, in ms (negative: after the deploy, before the bake began). */
export function bakeElapsedMs(breach: Pick<BakeBreach, 'alarmAt' | 'bakeStartedAt'>): number {
  return breach.alarmAt - breach.bakeStartedAt;
}

/** One line: which alarm, when, how far into the bake, and how soon the pipeline acted. */
export function describeBakeBreach(breach: BakeBreach, where: string): string {
  const elapsed = bakeElapsedMs(breach);
  const bake = `the ${formatSpan(breach.bakeSeconds * 1000)} bake of ${where}`;
  const into =
    elapsed >= 0 ? `${formatSpan(elapsed)} into ${bake}` : `after the deploy, before ${bake} began`;
  return (
    `${breach.alarmName} went to ALARM at ${new Date(breach.alarmAt).toISOString()}, ${into} ` +
    `(acted on ${formatSpan(breach.detectedAt - breach.alarmAt)} later, by the ${breach.detectedBy}): ` +
    breach.reason
  );
}

/** The cause an AlarmBreached task failure carries. */
export function bakeBreachCause(breach: BakeBreach, where: string): string {
  return JSON.stringify({
    errorType: 'AlarmBreached',
    errorMessage: describeBakeBreach(breach, where),
    bakeBreach: breach,
  });
}

/** The breach a failure's cause carries, if it is one of {@link bakeBreachCause}'s. */
export function bakeBreachOf(cause: string | undefined): BakeBreach | undefined {
  if (!cause) return undefined;
  try {
    const parsed = bakeBreachSchema.safeParse((JSON.parse(cause) as { bakeBreach?: unknown }).bakeBreach);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
