/**
 * The local stack's load balancers: one per environment/region whose strategy shifts traffic, each a real
 * reverse proxy on loopback (LocalTrafficProxy) in front of two real sample services, one per target group,
 * serving whatever revision the local ECS runs in that target group. Together they are the hook's two
 * ports (TrafficRouter: the production listener rule's weights; TrafficMetricsSource: what each target
 * group served), answered from real requests, and the traffic generator sends the users' requests.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createSampleServer, type SampleServiceState } from '../../examples/sample-service/app';
import type { Clock } from '../../shared/clock';
import type { KpiMeasurement, KpiThreshold } from '../../shared/domain/kpi-judgement';
import type { TrafficSample } from '../../shared/domain/traffic-judgement';
import type {
  KpiMetricsSource,
  TrafficMetricsSource,
  TrafficRouter,
  TrafficTargets,
  TrafficWindow,
} from '../../shared/ports/traffic';
import { SeededRandom } from '../seeded-random';
import { LocalBusinessMetrics } from './local-business-metrics';
import {
  LocalTrafficProxy,
  UnknownTrafficTargets,
  type LocalTrafficProxySnapshot,
} from './local-traffic-proxy';
import { TrafficGenerator, type TrafficSent } from './traffic-generator';

/** One load balancer's wiring: its production listener rule and two target groups, as the config names them. */
export interface LocalLoadBalancerWiring extends TrafficTargets {
  /** Says what is served in a target group now (undefined: no tasks registered in it). */
  stateOf: (targetGroup: string) => SampleServiceState | undefined;
}

export interface LocalLoadBalancersOptions {
  clock: Clock;
  /** Concurrent clients of the traffic generator. Default 48. */
  concurrency?: number;
  /** Median work time of a request in the sample services behind the load balancers, ms. Default theirs (20). */
  workMs?: number;
  /** Seed of the sample services' randomness (a degraded build's failures, work times). Default 1. */
  seed?: number;
}

/** Enough clients to keep the machine busy: the services report their own time (Server-Timing). */
const DEFAULT_CONCURRENCY = 48;

/**
 * What a load balancer was asked, as it happened: green's weight acknowledged (`weight`, with the requests
 * still on their way to or from green then) and a window of measurements read (`sample`, the hook's metrics
 * read just before its verdict). `at` is the stack's clock, `wallMs` the process's monotonic clock
 * (performance.now()), so a benchmark can time the switch back.
 */
export type LoadBalancerEvent =
  | {
      kind: 'weight';
      targets: TrafficTargets;
      greenPercent: number;
      greenInFlight: number;
      at: number;
      wallMs: number;
    }
  | { kind: 'sample'; targets: TrafficTargets; window: TrafficWindow; at: number; wallMs: number };

/**
 * One load balancer's state as plain JSON: its production listener rule's, and its test listener's (ECS
 * keeps the test listener on green from TEST_TRAFFIC_SHIFT until the deployment ends).
 */
export interface LocalLoadBalancerSnapshot extends LocalTrafficProxySnapshot {
  /** Absent in files written before it was kept: persistence.ts (`savedLoadBalancers`) fills it in. */
  testListener?: LocalTrafficProxySnapshot;
}

/** The load balancers' state as plain JSON, for `pipeline local --data-dir`: one entry per listener rule. */
export type LocalLoadBalancersSnapshot = LocalLoadBalancerSnapshot[];

interface Running {
  proxy: LocalTrafficProxy;
  /**
   * The test listener: a second proxy in front of the same two services, all to blue until ECS's
   * TEST_TRAFFIC_SHIFT sends it all to green. Its requests are measured apart, so green's production
   * numbers (what the hook judges, what tests count) hold production requests only.
   */
  testProxy: LocalTrafficProxy;
  servers: Server[];
}

export class LocalLoadBalancers implements TrafficRouter, TrafficMetricsSource, KpiMetricsSource {
  private readonly wirings = new Map<string, LocalLoadBalancerWiring>();
  /** The local CloudWatch of the services' own metrics, per region: what the proxies filed. */
  private readonly businessMetrics = new Map<string, LocalBusinessMetrics>();
  private readonly running = new Map<string, Promise<Running>>();
  /** The proxies listening now, by listener rule (what `running` resolved to). */
  private readonly listening = new Map<string, Pick<Running, 'proxy' | 'testProxy'>>();
  /** Saved states of load balancers not started since the restart: each takes its own when it starts. */
  private readonly restored = new Map<string, LocalLoadBalancerSnapshot>();
  /** Requests the traffic generator sent through each listener rule. */
  readonly sent = new Map<string, number>();
  private readonly observers = new Set<(event: LoadBalancerEvent) => void>();

  constructor(private readonly options: LocalLoadBalancersOptions) {}

  /** Declares a load balancer; it starts listening when first used. */
  define(wiring: LocalLoadBalancerWiring): void {
    this.wirings.set(wiring.listenerRule, wiring);
  }

  has(listenerRule: string): boolean {
    return this.wirings.has(listenerRule);
  }

  /** The listener rules of every load balancer defined. */
  get listenerRules(): string[] {
    return [...this.wirings.keys()];
  }

  /** The URL of the load balancer in front of a listener rule (started if it was not yet). */
  async urlOf(listenerRule: string): Promise<string> {
    return (await this.start(listenerRule)).proxy.url;
  }

  /** The URL of the load balancer's test listener (blue-green's test checks reach green there). */
  async testUrlOf(listenerRule: string): Promise<string> {
    return (await this.start(listenerRule)).testProxy.url;
  }

  /** ECS's TEST_TRAFFIC_SHIFT: green's share of the test listener's traffic (100 for the test checks). */
  async shiftTestTraffic(targets: TrafficTargets, greenPercent: number): Promise<void> {
    await this.proxyFor(targets);
    await (await this.start(targets.listenerRule)).testProxy.setGreenWeight(targets, greenPercent);
  }

  /** What each target group served through the test listener over a window (the test checks' requests). */
  async sampleTest(
    targets: TrafficTargets,
    window: TrafficWindow,
  ): Promise<{ blue: TrafficSample; green: TrafficSample }> {
    await this.proxyFor(targets);
    return (await this.start(targets.listenerRule)).testProxy.sample(targets, window);
  }

  /**
   * Green's weight on a listener rule now, percent: the saved one of a restarted stack until the load
   * balancer starts again; undefined before it ever started.
   */
  async greenPercentOf(listenerRule: string): Promise<number | undefined> {
    const running = this.running.get(listenerRule);
    return running ? (await running).proxy.greenPercent : this.restored.get(listenerRule)?.greenPercent;
  }

  /**
   * The weights, roles and recent measurements of every load balancer that ran, production and test
   * listener, as plain JSON.
   */
  snapshot(): LocalLoadBalancersSnapshot {
    const rules = new Set([...this.listening.keys(), ...this.restored.keys()]);
    return [...rules].map((rule) => {
      const listening = this.listening.get(rule);
      return listening ? snapshotOf(listening) : this.restored.get(rule)!;
    });
  }

  /**
   * Takes a snapshot's states, each when its load balancer starts. A listener rule the config no longer
   * wires, or wires to other target groups, starts afresh: its saved state was of another load balancer.
   */
  restore(snapshot: LocalLoadBalancersSnapshot): void {
    for (const saved of snapshot) {
      const wiring = this.wirings.get(saved.targets.listenerRule);
      const groups = [saved.targets.blueTargetGroup, saved.targets.greenTargetGroup].sort().join(' ');
      if (wiring && groups === [wiring.blueTargetGroup, wiring.greenTargetGroup].sort().join(' '))
        this.restored.set(saved.targets.listenerRule, structuredClone(saved));
    }
  }

  /** ECS alternates the target groups: the new deployment's blue is the last one's green. */
  async retarget(targets: TrafficTargets): Promise<void> {
    (await this.proxyFor(targets)).retarget(targets);
    (await this.start(targets.listenerRule)).testProxy.retarget(targets);
  }

  async setGreenWeight(targets: TrafficTargets, greenPercent: number): Promise<void> {
    const proxy = await this.proxyFor(targets);
    await proxy.setGreenWeight(targets, greenPercent);
    const wallMs = performance.now();
    this.emit({
      kind: 'weight',
      targets,
      greenPercent,
      greenInFlight: proxy.greenInFlight,
      at: this.options.clock.now(),
      wallMs,
    });
  }

  async sample(
    targets: TrafficTargets,
    window: TrafficWindow,
  ): Promise<{ blue: TrafficSample; green: TrafficSample }> {
    const measured = await (await this.proxyFor(targets)).sample(targets, window);
    this.emit({ kind: 'sample', targets, window, at: this.options.clock.now(), wallMs: performance.now() });
    return measured;
  }

  /** Calls `observer` with every weight acknowledged and window read from now on; returns the unsubscribe. */
  observe(observer: (event: LoadBalancerEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Resolves once no request is on its way to or from green behind the listener rule (at once when none is). */
  async greenDrained(listenerRule: string): Promise<void> {
    if (!this.wirings.has(listenerRule))
      throw new UnknownTrafficTargets(`no local load balancer has the listener rule ${listenerRule}`);
    const running = this.running.get(listenerRule);
    if (running) await (await running).proxy.greenDrained();
  }

  /** The services' own metrics (KPIs) of blue and green, as CloudWatch in the region would answer them. */
  async sampleKpis(
    region: string,
    kpis: KpiThreshold[],
    versions: { blue: string; green: string },
    window: TrafficWindow,
  ): Promise<KpiMeasurement[]> {
    return Promise.resolve(this.metricsOf(region).sampleKpis(kpis, versions, window));
  }

  private metricsOf(region: string): LocalBusinessMetrics {
    let metrics = this.businessMetrics.get(region);
    if (!metrics) {
      metrics = new LocalBusinessMetrics();
      this.businessMetrics.set(region, metrics);
    }
    return metrics;
  }

  /** The users' traffic: `requests` real requests through the listener rule's load balancer, all answered. */
  async send(listenerRule: string, requests: number): Promise<TrafficSent> {
    const { proxy } = await this.start(listenerRule);
    const generator = new TrafficGenerator({
      url: proxy.url,
      concurrency: Math.min(this.options.concurrency ?? DEFAULT_CONCURRENCY, Math.max(1, requests)),
      limit: requests,
    });
    const sent = requests > 0 ? await generator.start().done : { requests: 0, statuses: {} };
    await generator.stop();
    this.sent.set(listenerRule, (this.sent.get(listenerRule) ?? 0) + sent.requests);
    return sent;
  }

  async close(): Promise<void> {
    const running = [...this.running.values()];
    this.running.clear();
    // What they had stays for the stack's last save (and a start after it).
    for (const [rule, listening] of this.listening) this.restored.set(rule, snapshotOf(listening));
    this.listening.clear();
    for (const started of await Promise.allSettled(running)) {
      if (started.status !== 'fulfilled') continue;
      await started.value.proxy.close();
      await started.value.testProxy.close();
      for (const server of started.value.servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  }

  private emit(event: LoadBalancerEvent): void {
    for (const observer of this.observers)
      try {
        observer(event);
      } catch {
        // A broken observer must not break the traffic shift it watches.
      }
  }

  private async proxyFor(targets: TrafficTargets): Promise<LocalTrafficProxy> {
    if (!this.wirings.has(targets.listenerRule))
      throw new UnknownTrafficTargets(
        `no local load balancer has the listener rule ${targets.listenerRule}; ` +
          `known: ${this.listenerRules.join(', ') || 'none (no environment shifts traffic)'}`,
      );
    return (await this.start(targets.listenerRule)).proxy;
  }

  private start(listenerRule: string): Promise<Running> {
    let running = this.running.get(listenerRule);
    if (!running) {
      const wiring = this.wirings.get(listenerRule);
      if (!wiring)
        throw new UnknownTrafficTargets(`no local load balancer has the listener rule ${listenerRule}`);
      running = this.listen(wiring);
      this.running.set(listenerRule, running);
    }
    return running;
  }

  private async listen(wiring: LocalLoadBalancerWiring): Promise<Running> {
    const servers: Server[] = [];
    const seed = this.options.seed ?? 1;
    const serve = async (targetGroup: string, index: number): Promise<string> => {
      const random = new SeededRandom(seed + index);
      const checkouts = new SeededRandom(seed + 1000 + index);
      const { workMs } = this.options;
      const server = createSampleServer(
        () => {
          const state = wiring.stateOf(targetGroup);
          return state && (workMs === undefined ? state : { workMs, ...state });
        },
        () => random.next(),
        () => checkouts.next(),
      );
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const { stateOf: _stateOf, ...targets } = wiring;
    const upstreams = {
      blue: await serve(wiring.blueTargetGroup, 0),
      green: await serve(wiring.greenTargetGroup, 1),
    };
    const restored = this.restored.get(wiring.listenerRule);
    const proxy = new LocalTrafficProxy({
      targets,
      upstreams,
      clock: this.options.clock,
      businessMetrics: this.metricsOf(wiring.region),
      ...(restored && { restored }),
    });
    const testProxy = new LocalTrafficProxy({
      targets,
      upstreams,
      clock: this.options.clock,
      ...(restored?.testListener && { restored: restored.testListener }),
    });
    this.restored.delete(wiring.listenerRule);
    this.listening.set(wiring.listenerRule, { proxy, testProxy });
    await proxy.listen();
    await testProxy.listen();
    return { proxy, testProxy, servers };
  }
}

function snapshotOf({ proxy, testProxy }: Pick<Running, 'proxy' | 'testProxy'>): LocalLoadBalancerSnapshot {
  return { ...proxy.snapshot(), testListener: testProxy.snapshot() };
}
