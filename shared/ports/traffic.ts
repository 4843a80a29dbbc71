/**
 * The ports of shifting traffic between two versions of a service (blue/green, canary, linear): where the
 * weights are set and where each version's traffic is measured. On AWS the load balancer's listener rule
 * and its per-target-group CloudWatch metrics; in the local stack a weighted proxy on loopback that
 * measures every request it forwards.
 */
import type { KpiMeasurement, KpiThreshold } from '../domain/kpi-judgement';
import type { TrafficSample } from '../domain/traffic-judgement';

/** One service's two target groups behind one load balancer, in one region. */
export interface TrafficTargets {
  region: string;
  /** The load balancer (its ARN on AWS), whose metrics carry both target groups. */
  loadBalancer: string;
  /** The production listener rule whose forward weights decide who serves. */
  listenerRule: string;
  /** The version serving before the deployment: the baseline. */
  blueTargetGroup: string;
  /** The version being deployed: the candidate. */
  greenTargetGroup: string;
}

/** A span of time, epoch ms, start inclusive, end exclusive. */
export interface TrafficWindow {
  from: number;
  to: number;
}

/** Blue's and green's traffic over the same window, so green is judged against the live baseline. */
export interface TrafficMetricsSource {
  sample(
    targets: TrafficTargets,
    window: TrafficWindow,
  ): Promise<{ blue: TrafficSample; green: TrafficSample }>;
}

/** Where production traffic goes. */
export interface TrafficRouter {
  /** Sends `greenPercent` (0–100, whole) of production traffic to green and the rest to blue. */
  setGreenWeight(targets: TrafficTargets, greenPercent: number): Promise<void>;
}

/**
 * The service's own metrics (business KPIs) of blue and green over the same window, each side selected by
 * the KPI's revision dimension set to the version it runs. On AWS CloudWatch's GetMetricData; in the local
 * stack what the proxy counted from the services' answers.
 */
export interface KpiMetricsSource {
  sampleKpis(
    region: string,
    kpis: KpiThreshold[],
    versions: { blue: string; green: string },
    window: TrafficWindow,
  ): Promise<KpiMeasurement[]>;
}
