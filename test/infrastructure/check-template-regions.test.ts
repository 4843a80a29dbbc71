import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distinctTemplates, withoutRegion } from '../../scripts/check-template';

/**
 * scripts/check-template.ts lints one template per stage when the other regions' packagings of it are the
 * same but for the region: these check what it counts as the same, and that anything else is linted.
 */

/** A packaged template's parts that differ by region and by packaging (shaped as osls writes them). */
function template(region: string, options: { packagedAt?: string; digest?: string; timeout?: number } = {}) {
  const { packagedAt = '1796046596312-2026-11-30T13:49:56.312Z', digest = 'Kwj' + 'Z6uhC'.repeat(8) } =
    options;
  return JSON.stringify(
    {
      Resources: {
        CheckReleaseLambdaFunction: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Code: { S3Key: `serverless/ecs-promotion-pipeline/dev/${packagedAt}/checkRelease.zip` },
            Environment: { Variables: { TABLE: `arn:aws:dynamodb:${region}:123456789012:table/pipeline` } },
            Timeout: options.timeout ?? 60,
          },
        },
        [`CheckReleaseLambdaVersion${digest}`]: { Type: 'AWS::Lambda::Version' },
      },
      Outputs: {
        CheckReleaseLambdaFunctionQualifiedArn: { Value: { Ref: `CheckReleaseLambdaVersion${digest}` } },
      },
    },
    null,
    2,
  );
}

describe('the template checks read one template per stage where the regions differ only by name', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'check-template-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function packaged(stage: string, region: string, text: string) {
    const file = join(dir, `${stage}-${region}.json`);
    writeFileSync(file, text);
    return { stage, region, file };
  }

  it('when two packagings differ only in region, packaging time and code digests, they read the same', () => {
    // Act
    const eu = withoutRegion(template('eu-west-1'), 'eu-west-1');
    const us = withoutRegion(
      template('us-east-1', {
        packagedAt: '1796055869076-2026-11-30T16:24:29.076Z',
        digest: 'WlS' + 'u1Qgk'.repeat(8),
      }),
      'us-east-1',
    );

    // Assess
    expect(us).toBe(eu);
    expect(eu).not.toContain('eu-west-1');
    expect(eu).toContain('arn:aws:dynamodb:<region>:123456789012:table/pipeline');
    expect(eu).toContain('serverless/ecs-promotion-pipeline/dev/<packaged at>/checkRelease.zip');
  });

  it('when the region variants of a stage are the same but for the region, only the first is linted', () => {
    // Prepare
    const templates = [
      packaged('dev', 'eu-west-1', template('eu-west-1')),
      packaged('dev', 'us-east-1', template('us-east-1', { digest: 'Abc' + 'xyz12'.repeat(8) })),
      packaged('prod', 'eu-west-1', template('eu-west-1', { timeout: 300 })),
      packaged('prod', 'us-east-1', template('us-east-1', { timeout: 300 })),
    ];

    // Act
    const { distinct, same } = distinctTemplates(templates);

    // Assess: a stage's first region is linted even when another stage's template is the same
    expect(distinct.map((t) => `${t.stage}/${t.region}`)).toEqual(['dev/eu-west-1', 'prod/eu-west-1']);
    expect(same.map((t) => `${t.stage}/${t.region}`)).toEqual(['dev/us-east-1', 'prod/us-east-1']);
  });

  it('when a packaging wrote the same keys in another order, it is the same template', () => {
    // Prepare
    const [first, second] = [template('eu-west-1'), template('us-east-1')].map(
      (text) => JSON.parse(text) as { Resources: Record<string, unknown>; Outputs: unknown },
    );
    const reordered = {
      Outputs: second!.Outputs,
      Resources: Object.fromEntries(Object.entries(second!.Resources).reverse()),
    };
    const templates = [
      packaged('dev', 'eu-west-1', JSON.stringify(first)),
      packaged('dev', 'us-east-1', JSON.stringify(reordered)),
    ];

    // Act
    const { same } = distinctTemplates(templates);

    // Assess
    expect(same.map((t) => t.region)).toEqual(['us-east-1']);
  });

  it('when a region variant differs in anything else, it is linted too', () => {
    // Prepare: the same but for a setting, and a template naming another region than its own
    const templates = [
      packaged('dev', 'eu-west-1', template('eu-west-1')),
      packaged('dev', 'us-east-1', template('us-east-1', { timeout: 300 })),
      packaged('dev', 'ap-southeast-2', template('eu-west-1')),
    ];

    // Act
    const { distinct, same } = distinctTemplates(templates);

    // Assess
    expect(distinct.map((t) => t.region)).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2']);
    expect(same).toEqual([]);
  });

  it('when a name only looks like a Lambda version (short suffix), it is kept as it is', () => {
    // Act
    const text = withoutRegion('{"Ref":"CheckReleaseLambdaVersionArn"}', 'eu-west-1');

    // Assess
    expect(text).toBe('{"Ref":"CheckReleaseLambdaVersionArn"}');
  });
});
