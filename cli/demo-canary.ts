/**
 * The demo's canary in production: orders-api's production in one region (eu-west-1) shifts traffic as a
 * canary, 5 → 25 → 50 → 100, judged on real requests through the local load balancer. A healthy release
 * walks every step; a release three times slower in production is caught at 5% and switched back to blue.
 *
 * It runs on a stack of its own, from a copy of the config in which orders-api's production is that one
 * region with a canary: the strategy is per service and environment, and the day's release goes to three
 * production regions, each canary step of which costs thousands of real requests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseConfig } from '../shared/config/config.loader';
import type { Promotion } from '../shared/domain/promotion.schema';
import { readableCause } from '../shared/domain/failure-cause';
import { DEPLOYED_ENV } from '../shared/domain/deployment-record';
import { AutoAdvanceClock } from '../local-runtime/auto-advance-clock';
import { LocalPipeline } from '../local-runtime/local-pipeline';
import type { VersionBehaviour } from '../local-runtime/local-world';
import { duration } from './format';

const EVENTS_DIR = join(__dirname, '..', 'events');
export const REGION = 'eu-west-1';
/** The commit of events/ecr-push-orders-api-slow.json: its requests take three times longer in production. */
export const SLOW_COMMIT = '5a1e7d0c0ffee5a1e7d0c0ffee5a1e7d0c0ffee5';
/**
 * Requests a minute to the local load balancer. At 5% for one minute green serves 400, at 25% and 50% for
 * 15 seconds 500 and 1,000: each enough for the p95 comparison to tell twice blue's from blue's
 * (shared/domain/traffic-statistics.ts), at about 20,000 real requests for the two releases.
 */
export const TRAFFIC_PER_MINUTE = 8_000;
const ACCOUNT = '123456789012';
const WIRING = {
  blueTargetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/orders-api-prod-a/73e2d6bc24d8a067`,
  greenTargetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/orders-api-prod-b/2453ed029918f21f`,
  productionListenerRuleArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/orders-api-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
  infrastructureRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecs-infrastructure-orders-api`,
};

/** How the demo breaks v1.5.0 (as `--break 5a1e7d0=latency:3x` would), in production only. */
export const CANARY_BEHAVIOURS: Record<string, VersionBehaviour> = {
  [SLOW_COMMIT]: { latencyFactor: 3, only: [{ region: REGION, cluster: 'prod' }] },
};

/** The demo's two releases through the canary, in order: their events (events/*.json) and version. */
export const CANARY_RELEASES: readonly { title: string; events: string[]; version: string }[] = [
  {
    title: 'v1.4.0, a healthy release',
    events: ['ecr-push-orders-api.json', 'git-tag-orders-api-v1.4.0.json'],
    version: 'v1.4.0',
  },
  {
    title: 'v1.5.0, three times slower in production (latency:3x)',
    events: ['ecr-push-orders-api-slow.json', 'git-tag-orders-api-v1.5.0.json'],
    version: 'v1.5.0',
  },
];

type RawConfig = {
  environments?: { name?: string; regions?: string[] }[];
  services?: { name?: string; environments?: Record<string, Record<string, unknown>> }[];
};

/** The config with orders-api's production in one region, as a canary; undefined when it has no such stage. */
export function canaryConfig(configFile: string) {
  const raw = parseYaml(readFileSync(configFile, 'utf8'), { maxAliasCount: 100 }) as RawConfig;
  const prod = raw.services?.find((s) => s.name === 'orders-api')?.environments?.prod;
  const regions = prod?.regions as Record<string, Record<string, unknown>> | undefined;
  const environment = raw.environments?.find((e) => e.name === 'prod');
  if (!prod || !regions?.[REGION] || !environment) return undefined;
  environment.regions = [REGION];
  prod.regions = { [REGION]: { ...regions[REGION], loadBalancer: WIRING } };
  prod.strategy = 'canary';
  prod.canary = { steps: [5, 25, 50, 100], pauseMinutes: [1, 0.25, 0.25] };
  prod.keepBlueMinutes = 5;
  // minRequests 300 instead of 800: at 800 a side the 5% step would need 16,000 requests in its window;
  // the p95 comparison needs about 370 green requests at 5% (it says inconclusive below), which the
  // demo's 400 give. The error and latency thresholds are the defaults.
  prod.judgement = { minRequests: 300, maxExtensions: 2 };
  for (const service of raw.services ?? [])
    if (service.name !== 'orders-api' && service.environments?.prod) {
      const theirs = service.environments.prod.regions as Record<string, unknown> | undefined;
      service.environments.prod.regions = theirs?.[REGION] ? { [REGION]: theirs[REGION] } : {};
    }
  return parseConfig(stringifyYaml(raw), `${configFile} (the demo's canary: orders-api prod in ${REGION})`);
}

export function loadEvent(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8')) as Record<string, unknown>;
}

/** Plays the two releases through the canary; returns what did not happen as it should. */
export async function playProductionCanary(
  configFile: string,
  out: (text: string) => void,
): Promise<string[]> {
  const config = canaryConfig(configFile);
  if (!config) {
    out(`\nCanary in production: skipped (the config has no orders-api prod stage in ${REGION}).`);
    return [];
  }
  out(
    `\n▶ Canary in production: orders-api prod/${REGION} shifts 5 → 25 → 50 → 100, each step judged on real ` +
      `requests through the local load balancer (${TRAFFIC_PER_MINUTE.toLocaleString('en-US')} a minute)`,
  );
  const started = Date.now();
  const clock = new AutoAdvanceClock(Date.parse(String(loadEvent('ecr-push-orders-api.json').time)));
  const pipeline = await LocalPipeline.start({
    config,
    clock,
    trafficPerMinute: TRAFFIC_PER_MINUTE,
    behaviours: CANARY_BEHAVIOURS,
  });
  const problems: string[] = [];
  try {
    for (const release of CANARY_RELEASES) {
      for (const file of release.events) {
        const event = loadEvent(file);
        const at = Date.parse(String(event.time));
        if (at > clock.now()) await clock.sleep(at - clock.now());
        await pipeline.putEvent(event);
        await pipeline.settled();
      }
      const executions = (await pipeline.engine.listExecutions({})).executions;
      let status: string | undefined;
      let cause: string | undefined;
      let name: string | undefined;
      for (const e of executions) {
        const described = await pipeline.engine.describeExecution({ executionArn: e.executionArn });
        if ((JSON.parse(described.input) as Promotion).version === release.version) {
          ({ status, cause } = described);
          name = e.name;
        }
      }
      const shift = name
        ? await pipeline.shiftLog.get({ executionName: name, environment: 'prod', region: REGION })
        : undefined;
      out(`  ${release.title}: release ${status ?? 'never started'}`);
      for (const record of shift?.records ?? [])
        out(`    ${String(record.percent).padStart(3)}%  ${record.outcome.padEnd(4)}  ${record.reason}`);
      if (shift?.status === 'shifted')
        out('    100%  green serves everything; blue kept 5 min, then stopped');
      if (shift?.status === 'failed')
        out(`      0%  switched back to blue: ${readableCause(cause ?? shift.cause ?? '')}`);
      const judged = (shift?.records ?? []).map((r) => `${r.percent}:${r.outcome}`).join(' ');
      if (release.version === 'v1.4.0' && (status !== 'SUCCEEDED' || judged !== '5:pass 25:pass 50:pass'))
        problems.push(
          `canary: expected v1.4.0 to pass 5%, 25% and 50%, got ${status} (${judged || 'no steps'})`,
        );
      if (
        release.version === 'v1.5.0' &&
        (status !== 'FAILED' || judged !== '5:fail' || !cause?.includes('traffic shift failed: p95'))
      )
        problems.push(
          `canary: expected v1.5.0 to be caught at 5% on its p95, got ${status} (${judged || 'no steps'})`,
        );
    }
    const serving = pipeline.platform
      .serving({ region: REGION, cluster: 'prod', service: 'orders-api' })
      ?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.version];
    if (serving !== 'v1.4.0')
      problems.push(`canary: expected prod/${REGION} to run v1.4.0 after, got ${serving}`);
    const requests = pipeline.loadBalancers.sent.get(WIRING.productionListenerRuleArn) ?? 0;
    out(
      `  prod/${REGION} runs ${serving ?? 'nothing'}; ${requests.toLocaleString('en-US')} real requests in ` +
        `${duration(Date.now() - started)} of real time`,
    );
  } finally {
    await pipeline.close();
  }
  return problems;
}
