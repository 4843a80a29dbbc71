import { AWS_REGION } from './aws-region';
import { AWS_REGIONS } from './aws-regions';
import { suggestion } from './did-you-mean';

/**
 * What is wrong with a region code of the configuration, or undefined when AWS has that region: an
 * upper-case code, a code of the right form that names no region (`eu-mars-1`), or something else.
 */
export function regionProblem(value: string): string | undefined {
  if (AWS_REGIONS.includes(value)) return undefined;
  const lower = value.toLowerCase();
  if (lower !== value && AWS_REGIONS.includes(lower))
    return `"${value}": region codes are lowercase, write ${lower}`;
  if (AWS_REGION.test(value))
    return `"${value}" is not an AWS region${suggestion(value, AWS_REGIONS)} (the known regions are in shared/config/aws-regions.ts)`;
  return `"${value}" is not an AWS region code such as eu-west-1${suggestion(value, AWS_REGIONS)}`;
}
