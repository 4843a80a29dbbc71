import type { SeededRandom } from '../../local-runtime/seeded-random';
import { loadEvent } from '../support/fixtures';

export interface GeneratedPush<Service extends string = string> {
  index: number;
  service: Service;
  commit: string;
  pushedAt: number;
  /** The ECR push event, as EventBridge would deliver it. */
  event: Record<string, unknown>;
}

/**
 * `count` pushes of `sha-<commit>` images, one every `everyMs` from `start`, each to a service drawn from
 * `services` with a random commit and digest. The draws come in a fixed order, so a seed replays the run.
 */
export function generatedPushes<Service extends string>(
  options: { count: number; start: number; everyMs: number; idPrefix: string; services: readonly Service[] },
  random: SeededRandom,
): GeneratedPush<Service>[] {
  const template = loadEvent('ecr-push-orders-api.json');
  return Array.from({ length: options.count }, (_, index) => {
    const service = random.pick(options.services);
    const commit = random.hex(40);
    const pushedAt = options.start + index * options.everyMs;
    return {
      index,
      service,
      commit,
      pushedAt,
      event: {
        ...template,
        id: `${options.idPrefix}-${index}`,
        time: new Date(pushedAt).toISOString(),
        detail: {
          ...template.detail,
          'repository-name': service,
          'image-tag': `sha-${commit}`,
          'image-digest': `sha256:${random.hex(64)}`,
        },
      },
    };
  });
}
