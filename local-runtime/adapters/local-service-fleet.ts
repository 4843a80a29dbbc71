import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSampleServer, respond, type SampleServiceState } from '../../examples/sample-service/app';
import type { ContainerView, EcsTarget, HttpProbe, HttpProbeResult } from '../../shared/ports/deployment';
import { fetchProbe } from '../../shared/http-probe';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import type { LocalContainerPlatform } from './local-container-platform';

/** How a version behaves once it serves traffic, for showing the pipeline's failure paths. */
export interface ServingBehaviour {
  /** The health check answers 503. */
  failsHealthCheck?: boolean;
  /** Drives the environment's alarms into ALARM while it serves. */
  breachesAlarms?: boolean;
  /** This share (0–1) of its requests, other than the health check, answer 500 (`--break <c>=errors:8%`). */
  errorRate?: number;
  /** Its requests, other than the health check, take this many times longer (`--break <c>=latency:3x`). */
  latencyFactor?: number;
  /** This share (0–1) of its checkouts fail quietly in its business metric (`--break <c>=kpi:40%`). */
  kpiDrop?: number;
}

export interface FleetTarget extends EcsTarget {
  endpoint: string;
  container: string;
}

/**
 * The services' endpoints: every environment/region runs the sample service (examples/sample-service) as
 * the local ECS serves it, reporting the commit and version the pipeline set on the serving revision.
 * In-process by default (fast, for tests); after `serve()` each target is a real HTTP server on
 * 127.0.0.1 and smoke checks make real requests to it. Unknown hosts fail like DNS does.
 */
export class LocalServiceFleet implements HttpProbe {
  private readonly byOrigin = new Map<string, FleetTarget>();
  private readonly servers = new Map<string, { server: Server; url: string }>();
  readonly requests: { url: string; status: number }[] = [];

  constructor(
    private readonly platform: LocalContainerPlatform,
    targets: FleetTarget[],
    private readonly behaviourOf: (
      container: ContainerView,
      target: EcsTarget,
    ) => ServingBehaviour = () => ({}),
    /** The local load balancer in front of an endpoint's origin, if it has one (strategies that shift traffic). */
    private readonly loadBalancerOf: (origin: string) => Promise<string> | undefined = () => undefined,
  ) {
    for (const target of targets) this.byOrigin.set(new URL(target.endpoint).origin, target);
  }

  async request({
    url,
    method,
    timeoutMs,
  }: {
    url: string;
    method: 'GET' | 'HEAD';
    timeoutMs: number;
  }): Promise<HttpProbeResult> {
    const parsed = new URL(url);
    const target = this.byOrigin.get(parsed.origin);
    if (!target) throw new Error(`getaddrinfo ENOTFOUND ${parsed.hostname}`);
    const balanced = this.loadBalancerOf(parsed.origin);
    const local = balanced ? { url: await balanced } : this.servers.get(parsed.origin);
    const result = local
      ? await fetchProbe.request({ url: `${local.url}${parsed.pathname}${parsed.search}`, method, timeoutMs })
      : this.answer(target, parsed.pathname);
    this.requests.push({ url, status: result.status });
    return result;
  }

  /** Starts one real HTTP server per target; returns endpoint → local URL. */
  async serve(): Promise<Record<string, string>> {
    for (const [origin, target] of this.byOrigin) {
      if (this.servers.has(origin)) continue;
      const server = createSampleServer(() => this.stateOf(target));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.servers.set(origin, { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
    return Object.fromEntries([...this.servers].map(([origin, { url }]) => [origin, url]));
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    this.servers.clear();
  }

  private answer(target: FleetTarget, path: string): HttpProbeResult {
    const state = this.stateOf(target);
    if (!state) return { status: 503, body: '{"message":"no healthy tasks"}', latencyMs: 5 };
    return { ...respond(path, state), latencyMs: 8 };
  }

  /** What the target's serving revision is, as the sample service would see it in its environment. */
  private stateOf(target: FleetTarget): SampleServiceState | undefined {
    const container = this.platform.serving(target)?.containers.find((c) => c.name === target.container);
    return container && sampleStateOf(container, this.behaviourOf(container, target));
  }
}

/**
 * What the sample service in a container reports and how it behaves: the commit and version the pipeline
 * set on the revision, and the behaviour given for it. The one mapping for both the endpoints and the
 * local load balancers' target groups.
 */
export function sampleStateOf(container: ContainerView, behaviour: ServingBehaviour): SampleServiceState {
  const commit = container.environment[DEPLOYED_ENV.commit];
  const version = container.environment[DEPLOYED_ENV.version];
  return {
    ...(commit && { commit }),
    ...(version && { version }),
    unhealthy: behaviour.failsHealthCheck === true,
    ...(behaviour.errorRate !== undefined && { errorRate: behaviour.errorRate }),
    ...(behaviour.latencyFactor !== undefined && { latencyFactor: behaviour.latencyFactor }),
    ...(behaviour.kpiDrop !== undefined && { kpiDrop: behaviour.kpiDrop }),
  };
}
