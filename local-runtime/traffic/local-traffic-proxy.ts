/**
 * The local stack's load balancer: a real HTTP reverse proxy on 127.0.0.1 that splits requests between a
 * blue and a green upstream by weight (the listener rule's forward weights) and measures every request it
 * forwards per target group: count, 5xx, latency into a histogram. It answers the same two ports as the
 * AWS adapters (TrafficRouter, TrafficMetricsSource), so the analysis that runs in AWS runs here on real
 * measurements.
 */
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../shared/clock';
import type { TrafficSample } from '../../shared/domain/traffic-judgement';
import type {
  TrafficMetricsSource,
  TrafficRouter,
  TrafficTargets,
  TrafficWindow,
} from '../../shared/ports/traffic';
import { BUSINESS_METRIC_HEADER } from '../../examples/sample-service/app';
import { LatencyHistogram } from './latency-histogram';
import type { LocalBusinessMetrics } from './local-business-metrics';

type Side = 'blue' | 'green';

/** One second (of the stack's clock) of one target group's traffic. */
interface Second {
  requests: number;
  errors: number;
  latency: LatencyHistogram;
}

export interface LocalTrafficProxyOptions {
  /** Which service's traffic this is: the listener rule and target groups it stands for. */
  targets: TrafficTargets;
  /** Base URLs of the two versions, e.g. `http://127.0.0.1:43121`. */
  upstreams: Record<Side, string>;
  /** The stack's clock: measurements are filed under its time, so windows match the pipeline's. */
  clock: Clock;
  /** Green's share of traffic at the start, percent. Default 0 (all on blue). */
  greenPercent?: number;
  /** Where the services' own metrics (their `x-business-metric` answer header) are filed: the local CloudWatch. */
  businessMetrics?: LocalBusinessMetrics;
  /**
   * What the load balancer had when the local stack stopped (`snapshot()`): its blue and green roles (one
   * of the two orders of `targets`' target groups), weights and the measurements since they last changed.
   */
  restored?: LocalTrafficProxySnapshot;
}

/**
 * A load balancer's state as plain JSON, for `pipeline local --data-dir`: what the production listener
 * rule forwards where, and the measurements of the step being judged (CloudWatch keeps them in AWS).
 */
export interface LocalTrafficProxySnapshot {
  /** The listener rule and which target group is blue and which green now. */
  targets: TrafficTargets;
  greenPercent: number;
  /** Requests routed since the weights were set: the exact split goes on where it was. */
  routed: number;
  /** When (stack clock) the weights last changed: only the measurements since then are kept. */
  weightsSetAt: number;
  /** Per target group, each second's requests, 5xx and latency histogram. */
  measurements: [
    targetGroup: string,
    seconds: [second: number, requests: number, errors: number, latency: [number, number][]][],
  ][];
}

/** A listener rule or target group the local load balancer does not have: the config points elsewhere. */
export class UnknownTrafficTargets extends Error {
  override readonly name = 'UnknownTrafficTargets';
}

export class LocalTrafficProxy implements TrafficRouter, TrafficMetricsSource {
  private readonly server: Server;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  /** Measurements per target group (not per side: ECS swaps blue and green from one deployment to the next). */
  private readonly seconds = new Map<string, Map<number, Second>>();
  /** Each target group's upstream. */
  private readonly upstreams = new Map<string, string>();
  private targetsNow: TrafficTargets;
  private green: number;
  /** Requests routed so far: the split is exact over any run of 100 requests, not merely on average. */
  private routed = 0;
  /** When (stack clock) the weights or roles last changed: a window being judged starts no earlier. */
  private weightsSetAt: number;
  private address?: string;
  /** Requests forwarded and not yet answered, per side: green is off only once its last one is. */
  private readonly open: Record<Side, number> = { blue: 0, green: 0 };
  /** Called whenever green's last open request is answered. */
  private readonly drained = new Set<() => void>();

  constructor(private readonly options: LocalTrafficProxyOptions) {
    this.green = options.greenPercent ?? 0;
    this.targetsNow = options.targets;
    this.weightsSetAt = options.clock.now();
    this.upstreams.set(options.targets.blueTargetGroup, options.upstreams.blue);
    this.upstreams.set(options.targets.greenTargetGroup, options.upstreams.green);
    if (options.restored) this.restore(options.restored);
    this.server = createServer((incoming, outgoing) => {
      const side = this.route();
      const targetGroup = this.targetGroupOf(side);
      this.open[side]++;
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        this.open[side]--;
        if (side === 'green' && this.open.green === 0) for (const notify of this.drained) notify();
      };
      outgoing.on('close', close);
      const upstream = new URL(incoming.url ?? '/', this.upstreams.get(targetGroup));
      // Timed like the load balancer's TargetResponseTime: from sending the request to the target until
      // its response headers arrive, so the proxy's own queueing is not blamed on either version. A target
      // that reports its own time (Server-Timing app;dur) is taken at its word: the proxy, the targets and
      // the traffic share one process here, so on a busy machine the wall-clock time is mostly the
      // machine's queueing, the same for both versions, which would hide a slower green (on AWS the load
      // balancer and the targets do not share a CPU).
      let sent = performance.now();
      const forwarded = httpRequest(
        upstream,
        { method: incoming.method, headers: { ...incoming.headers, host: upstream.host }, agent: this.agent },
        (answer) => {
          const took = performance.now() - sent;
          this.measure(
            targetGroup,
            answer.statusCode ?? 502,
            serverTimingMs(answer.headers['server-timing']) ?? took,
          );
          this.options.businessMetrics?.recordHeader(
            answer.headers[BUSINESS_METRIC_HEADER],
            this.options.clock.now(),
          );
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('socket', () => (sent = performance.now()));
      forwarded.on('error', () => {
        // The target closed or refused the connection: the load balancer answers 502, the target's fault.
        this.measure(targetGroup, 502, performance.now() - sent);
        if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ message: `${side} did not answer` }));
      });
      incoming.pipe(forwarded);
    });
  }

  get targets(): TrafficTargets {
    return this.targetsNow;
  }

  /**
   * The same two target groups with blue and green swapped, as ECS alternates them from one deployment to
   * the next: the new blue (last deployment's green) serves everything until the hook moves the weights.
   * Measurements stay with their target group.
   */
  retarget(targets: TrafficTargets): void {
    const mine = this.targetsNow;
    const same =
      targets.listenerRule === mine.listenerRule &&
      ((targets.blueTargetGroup === mine.blueTargetGroup &&
        targets.greenTargetGroup === mine.greenTargetGroup) ||
        (targets.blueTargetGroup === mine.greenTargetGroup &&
          targets.greenTargetGroup === mine.blueTargetGroup));
    if (!same) this.refuse(targets);
    if (targets.blueTargetGroup === mine.blueTargetGroup) return;
    this.targetsNow = {
      ...mine,
      blueTargetGroup: targets.blueTargetGroup,
      greenTargetGroup: targets.greenTargetGroup,
    };
    this.green = 0;
    this.routed = 0;
    this.weightsSetAt = this.options.clock.now();
  }

  /**
   * The roles, weights and the measurements since the weights last changed, as plain JSON: all a restarted
   * stack needs to judge the step in progress (older seconds are judged already and stay behind).
   */
  snapshot(): LocalTrafficProxySnapshot {
    const from = Math.floor(this.weightsSetAt / 1000);
    return {
      targets: { ...this.targetsNow },
      greenPercent: this.green,
      routed: this.routed,
      weightsSetAt: this.weightsSetAt,
      measurements: [...this.seconds].map(([targetGroup, seconds]) => [
        targetGroup,
        [...seconds]
          .filter(([second]) => second >= from)
          .map(([second, b]) => [second, b.requests, b.errors, b.latency.toJSON()]),
      ]),
    };
  }

  private restore(saved: LocalTrafficProxySnapshot): void {
    // The roles may be swapped (ECS alternates them), never other target groups: those are another wiring.
    this.retarget(saved.targets);
    if (!Number.isInteger(saved.greenPercent) || saved.greenPercent < 0 || saved.greenPercent > 100)
      throw new RangeError(`a saved load balancer has green at ${saved.greenPercent}%, not a whole percent`);
    this.green = saved.greenPercent;
    this.routed = saved.routed;
    this.weightsSetAt = saved.weightsSetAt;
    for (const [targetGroup, seconds] of saved.measurements) {
      if (!this.upstreams.has(targetGroup)) continue;
      this.seconds.set(
        targetGroup,
        new Map(
          seconds.map(([second, requests, errors, latency]) => [
            second,
            { requests, errors, latency: LatencyHistogram.fromJSON(latency) },
          ]),
        ),
      );
    }
  }

  /** The proxy's URL once listening. */
  get url(): string {
    if (!this.address) throw new Error('the local load balancer is not listening yet: call listen() first');
    return this.address;
  }

  get greenPercent(): number {
    return this.green;
  }

  /** Requests forwarded to green and not yet answered. */
  get greenInFlight(): number {
    return this.open.green;
  }

  /** Resolves once no request is on its way to or from green (at once when none is). */
  greenDrained(): Promise<void> {
    if (this.open.green === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const notify = () => {
        this.drained.delete(notify);
        resolve();
      };
      this.drained.add(notify);
    });
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.address = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.address;
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async setGreenWeight(targets: TrafficTargets, greenPercent: number): Promise<void> {
    this.check(targets);
    if (!Number.isInteger(greenPercent) || greenPercent < 0 || greenPercent > 100)
      throw new RangeError(
        `green's share of traffic must be a whole percent from 0 to 100, got ${greenPercent}`,
      );
    this.green = greenPercent;
    this.routed = 0;
    this.weightsSetAt = this.options.clock.now();
    return Promise.resolve();
  }

  async sample(
    targets: TrafficTargets,
    window: TrafficWindow,
  ): Promise<{ blue: TrafficSample; green: TrafficSample }> {
    this.check(targets);
    return Promise.resolve({
      blue: this.side(targets.blueTargetGroup, window),
      green: this.side(targets.greenTargetGroup, window),
    });
  }

  private check(targets: TrafficTargets): void {
    const mine = this.targetsNow;
    if (
      targets.listenerRule !== mine.listenerRule ||
      targets.blueTargetGroup !== mine.blueTargetGroup ||
      targets.greenTargetGroup !== mine.greenTargetGroup
    )
      this.refuse(targets);
  }

  private refuse(targets: TrafficTargets): never {
    const mine = this.targetsNow;
    throw new UnknownTrafficTargets(
      `the local load balancer for ${mine.listenerRule} (blue ${mine.blueTargetGroup}, green ${mine.greenTargetGroup}) ` +
        `was asked about ${targets.listenerRule} (blue ${targets.blueTargetGroup}, green ${targets.greenTargetGroup})`,
    );
  }

  private targetGroupOf(side: Side): string {
    return side === 'blue' ? this.targetsNow.blueTargetGroup : this.targetsNow.greenTargetGroup;
  }

  /** Green gets request n when ⌊(n+1)·g/100⌋ passes a whole number: exactly g in every 100, evenly spread. */
  private route(): Side {
    const n = this.routed++;
    return Math.floor(((n + 1) * this.green) / 100) > Math.floor((n * this.green) / 100) ? 'green' : 'blue';
  }

  private measure(targetGroup: string, status: number, latencyMs: number): void {
    const second = Math.floor(this.options.clock.now() / 1000);
    let seconds = this.seconds.get(targetGroup);
    if (!seconds) {
      seconds = new Map();
      this.seconds.set(targetGroup, seconds);
    }
    let bucket = seconds.get(second);
    if (!bucket) {
      bucket = { requests: 0, errors: 0, latency: new LatencyHistogram() };
      seconds.set(second, bucket);
    }
    bucket.requests++;
    if (status >= 500) bucket.errors++;
    bucket.latency.record(latencyMs);
  }

  /** A target group's traffic over the window's whole seconds (like CloudWatch's periods, at a finer grain). */
  private side(targetGroup: string, window: TrafficWindow): TrafficSample {
    const latency = new LatencyHistogram();
    let requests = 0;
    let errors = 0;
    for (const [second, bucket] of this.seconds.get(targetGroup) ?? []) {
      const at = second * 1000;
      if (at < Math.floor(window.from / 1000) * 1000 || at >= window.to) continue;
      requests += bucket.requests;
      errors += bucket.errors;
      latency.add(bucket.latency);
    }
    const p95Ms = latency.percentile(0.95);
    return { requests, errors, ...(p95Ms !== undefined && { p95Ms }) };
  }
}

/** The `app` duration of a Server-Timing header, ms; undefined when there is none. */
export function serverTimingMs(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  const match = text === undefined ? null : /(?:^|,)\s*app\s*;[^,]*\bdur=([0-9.]+)/.exec(text);
  const ms = match ? Number(match[1]) : Number.NaN;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
