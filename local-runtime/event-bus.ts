/**
 * The local event bus: delivers EventBridge events to the targets of the rules whose pattern matches, with
 * the same rules `serverless.yml` deploys (`shared/event-rules.ts`), and says why an event matched none.
 * The pipeline, `simulate` and the local API all route and explain events through this module.
 */
import type { PipelineConfig } from '../shared/config/config.schema';
import { eventRules, type EventRule } from '../shared/event-rules';
import { matchesEventPattern } from './event-pattern';
import { ERROR_NAMES } from '../shared/domain/errors';

export interface RoutedEvent {
  /** The rules whose pattern matched, with what their target returned or threw. */
  deliveries: { rule: EventRule['target']; result?: unknown; error?: { name: string; message: string } }[];
}

/** Invokes a rule's target (a local Lambda function, by its handler name) with the event. */
export type DeliverToTarget = (target: EventRule['target'], event: unknown) => Promise<unknown>;

export class LocalEventBus {
  constructor(
    private readonly config: PipelineConfig,
    private readonly deliver: DeliverToTarget,
  ) {}

  /** Delivers one EventBridge event to every rule whose pattern matches it, as EventBridge would. */
  async put(event: unknown): Promise<RoutedEvent> {
    const deliveries: RoutedEvent['deliveries'] = [];
    for (const rule of eventRules(this.config)) {
      if (!matchesEventPattern(rule.pattern, event)) continue;
      try {
        deliveries.push({ rule: rule.target, result: await this.deliver(rule.target, event) });
      } catch (error) {
        const err = error as Error;
        deliveries.push({ rule: rule.target, error: { name: err.name, message: err.message } });
      }
    }
    return { deliveries };
  }
}

/**
 * The errors by which a target turns an event down (malformed, not a valid input): a decision about the
 * event. Any other error is a failure of the pipeline (a bug, an outage) and must never read as "ignored".
 */
const REJECTIONS = new Set(['MalformedEvent', ERROR_NAMES.invalidStepInput]);

export function isRejection(error: { name: string }): boolean {
  return REJECTIONS.has(error.name);
}

/** Names the first pattern field the event fails, e.g. `detail.image-tag "latest" is not one of [{"prefix":"sha-"}]`. */
export function noRuleReason(config: PipelineConfig, event: unknown): string {
  const e = event as { source?: string; 'detail-type'?: string; detail?: Record<string, unknown> };
  const rule = eventRules(config).find((r) => (r.pattern.source as string[]).includes(e.source ?? ''));
  if (!rule) return `no rule matches source "${e.source}" / "${e['detail-type']}"`;
  for (const [key, expected] of Object.entries(rule.pattern)) {
    const fields =
      key === 'detail' ? Object.entries(expected as Record<string, unknown>) : [[key, expected] as const];
    for (const [field, allowed] of fields) {
      const single = key === 'detail' ? { detail: { [field]: allowed } } : { [field]: allowed };
      if (!matchesEventPattern(single, event)) {
        const actual = key === 'detail' ? e.detail?.[field] : (e as Record<string, unknown>)[field];
        const path = key === 'detail' ? `detail.${field}` : field;
        const seen =
          actual === undefined ? 'is missing, expected' : `${JSON.stringify(actual)} is not one of`;
        return `no rule matches: ${path} ${seen} ${JSON.stringify(allowed)} (${rule.description})`;
      }
    }
  }
  return `no rule matches (${rule.description})`;
}
