/**
 * orders-api as the sample configuration deploys it, for the flow tests: where it runs in each
 * environment/region, and the commits and digest of the sample events that build it.
 */
import type { EcsTarget } from '../../shared/ports/deployment';
import { loadEvent } from './fixtures';

/** The commit of events/ecr-push-orders-api.json (and of the v1.4.0 tag). */
export const GOOD_COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/** The image digest of events/ecr-push-orders-api.json. */
export const GOOD_DIGEST = loadEvent('ecr-push-orders-api.json').detail['image-digest'] as string;
/** The commit of events/ecr-push-orders-api-broken.json. */
export const BROKEN_COMMIT = 'badc0ffee0ddf00d1234567890abcdef12345678';
/** The registry of the sample's ECR repositories: an image there is `${REGISTRY}/orders-api@<digest>`. */
export const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

export const ORDERS_PPE: EcsTarget = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };
export const STAGING: EcsTarget = { region: 'eu-west-1', cluster: 'staging', service: 'orders-api' };
/** The production regions, in the order a release reaches them. */
export const PROD_REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'] as const;
export const prod = (region: string): EcsTarget => ({ region, cluster: 'prod', service: 'orders-api' });
/** Every target a release deploys to, in order. */
export const RELEASE_TARGETS = [STAGING, ...PROD_REGIONS.map(prod)];
