import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import type { PipelineConfig } from '../../shared/config/config.schema';
import { commitOfTag, type ImageRef } from '../../shared/domain/image';
import { planStages, type Stage } from '../../shared/domain/stage';
import { executionName } from '../../shared/use-cases/promotion';
import type { StageRun } from '../../shared/domain/stage-run.schema';

/** The repository root, so fixtures load the same files whatever the working directory. */
export const REPO_ROOT = join(__dirname, '..', '..');
export const SAMPLE_CONFIG_FILE = join(REPO_ROOT, 'pipeline.config.yml');

/** The sample configuration, parsed and validated by the real loader. */
export function sampleConfig(): PipelineConfig {
  return loadConfigFile(SAMPLE_CONFIG_FILE);
}

/** The text of the sample configuration, for tests that break it on purpose. */
export function sampleConfigText(): string {
  return readFileSync(SAMPLE_CONFIG_FILE, 'utf8');
}

/** One of the sample EventBridge events in `events/`, parsed; a fresh copy each call. */
export function loadEvent(file: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'events', file), 'utf8')) as Record<string, unknown> & {
    detail: Record<string, unknown>;
  };
}

/** The PPE stage an image push of orders-api starts, from the sample configuration. */
export function ppeStage(): Stage {
  const [stage] = planStages(sampleConfig(), 'orders-api', 'push');
  if (!stage) throw new Error('the sample configuration plans no stage for a push of orders-api');
  return stage;
}

/** What the push in `events/ecr-push-orders-api.json` deploys. */
export function orderApiPush(): { image: ImageRef; version: string; commit: string } {
  const event = loadEvent('ecr-push-orders-api.json');
  const version = String(event.detail['image-tag']);
  const commit = commitOfTag(version);
  if (!commit) throw new Error(`fixture tag ${version} is not sha-<commit>`);
  return {
    image: {
      registry: `${String(event.account)}.dkr.ecr.${String(event.region)}.amazonaws.com`,
      repository: String(event.detail['repository-name']),
      digest: String(event.detail['image-digest']),
    },
    version,
    commit,
  };
}

/** A PPE stage run of the orders-api push, as the promote machine hands it to a step. */
export function ppeStageRun(overrides: Partial<StageRun> = {}): StageRun {
  const push = orderApiPush();
  return {
    executionName: executionName(
      'push',
      'orders-api',
      push.commit.slice(0, 12),
      push.image.digest.slice(7, 19),
    ),
    service: 'orders-api',
    trigger: { kind: 'push', at: String(loadEvent('ecr-push-orders-api.json').time) },
    ...push,
    stage: ppeStage(),
    ...overrides,
  };
}

/** Line number (1-based) of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" does not occur in the text`);
  return index + 1;
}

/**
 * `file:line:column` of `key` on the first line of `text` containing `needle` (`key` defaults to the
 * needle), as configuration errors name where a problem is.
 */
export function positionOf(file: string, text: string, needle: string, key = needle): string {
  const line = lineOf(text, needle);
  const column = text.split('\n')[line - 1]!.indexOf(key) + 1;
  if (column === 0) throw new Error(`"${key}" does not occur on the line of "${needle}"`);
  return `${file}:${line}:${column}`;
}
