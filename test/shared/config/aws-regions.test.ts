import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_REGION } from '../../../shared/config/aws-region';
import { AWS_REGIONS } from '../../../shared/config/aws-regions';
import { closest } from '../../../shared/config/did-you-mean';
import { regionProblem } from '../../../shared/config/region-problem';

/** The regions of the installed AWS SDK's endpoint partitions (commercial, China, GovCloud). */
function sdkRegions(): string[] {
  const file = join(
    require.resolve('@aws-sdk/core'),
    '..',
    '..',
    'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js',
  );
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/"([a-z0-9-]+)": \{\s*"description"/g)]
    .map((m) => m[1]!)
    .filter((r) => AWS_REGION.test(r));
}

describe('the AWS region list of the configuration', () => {
  it('when compared with the installed SDK, it names the same regions', () => {
    // Act
    const fromSdk = sdkRegions();

    // Assess
    expect(fromSdk.length).toBeGreaterThan(30);
    expect([...AWS_REGIONS].sort()).toEqual([...new Set(fromSdk)].sort());
  });

  it('when a region is known, it has no problem; when not, it says what is wrong', () => {
    // Assess
    expect(regionProblem('ap-southeast-2')).toBeUndefined();
    expect(regionProblem('Eu-West-1')).toBe('"Eu-West-1": region codes are lowercase, write eu-west-1');
    expect(regionProblem('us-est-1')).toContain('(did you mean "us-east-1"?)');
  });

  it('when a word is far from every known name, it suggests nothing', () => {
    // Assess
    expect(closest('mars', AWS_REGIONS)).toBeUndefined();
    expect(closest('bakeMinute', ['bakeMinutes', 'alarms'])).toBe('bakeMinutes');
    expect(closest('tirgger', ['trigger', 'regions'])).toBe('trigger');
  });
});
