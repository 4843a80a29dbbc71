import type { ContainerView, EcsTarget, HttpProbe, HttpProbeResult } from '../../shared/domain/ports';
import { DEPLOYED_ENV } from '../../shared/use-cases/deploy-service';
import type { LocalContainerPlatform } from './local-container-platform';

/** How a version behaves once it serves traffic, for showing the pipeline's failure paths. */
export interface ServingBehaviour {
  /** The health check answers 503. */
  failsHealthCheck?: boolean;
  /** Drives the environment's alarms into ALARM while it serves. */
  breachesAlarms?: boolean;
}

export interface FleetTarget extends EcsTarget {
  endpoint: string;
  container: string;
}

/**
 * The services' HTTP endpoints, answered in-process from what the local ECS runs: `/health` reports the
 * commit and version of the serving revision (as a real service reading PIPELINE_COMMIT would), any other
 * configured path answers an empty list. Unknown hosts fail like DNS does.
 */
export class LocalServiceFleet implements HttpProbe {
  private readonly byOrigin = new Map<string, FleetTarget>();
  readonly requests: { url: string; status: number }[] = [];

  constructor(
    private readonly platform: LocalContainerPlatform,
    targets: FleetTarget[],
    private readonly behaviourOf: (
      container: ContainerView,
      target: EcsTarget,
    ) => ServingBehaviour = () => ({}),
  ) {
    for (const target of targets) this.byOrigin.set(new URL(target.endpoint).origin, target);
  }

  async request({
    url,
  }: {
    url: string;
    method: 'GET' | 'HEAD';
    timeoutMs: number;
  }): Promise<HttpProbeResult> {
    const parsed = new URL(url);
    const target = this.byOrigin.get(parsed.origin);
    if (!target) throw new Error(`getaddrinfo ENOTFOUND ${parsed.hostname}`);
    const result = this.answer(target, parsed.pathname);
    this.requests.push({ url, status: result.status });
    return result;
  }

  private answer(target: FleetTarget, path: string): HttpProbeResult {
    const serving = this.platform.serving(target);
    const container = serving?.containers.find((c) => c.name === target.container);
    if (!container) return { status: 503, body: '{"message":"no healthy tasks"}', latencyMs: 5 };
    const behaviour = this.behaviourOf(container, target);
    if (path === '/health') {
      if (behaviour.failsHealthCheck) return { status: 503, body: '{"status":"unhealthy"}', latencyMs: 12 };
      const body = {
        status: 'ok',
        commit: container.environment[DEPLOYED_ENV.commit] ?? null,
        version: container.environment[DEPLOYED_ENV.version] ?? null,
      };
      return { status: 200, body: JSON.stringify(body), latencyMs: 8 };
    }
    return { status: 200, body: '{"items":[]}', latencyMs: 15 };
  }
}
