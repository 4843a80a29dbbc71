/**
 * What a function's bundle runs at load (docs/cold-start.md): Powertools Tracer and the X-Ray SDK are not in
 * handler.js but in tracing.js beside it, which the step stack requires on the first invocation.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleOptions, tracingBundleOptions } from '../../scripts/build-functions';

const TRACER_MODULES = /aws-xray-sdk-core|@aws-lambda-powertools[\\/]tracer/;

describe('function bundles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'function-bundles-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when a step function is bundled, its handler carries no tracer and requires tracing.js, which holds it', async () => {
    // Act
    const handler = await build({
      ...bundleOptions('run-smoke-checks'),
      write: false,
      metafile: true,
      sourcemap: false,
    });
    const tracing = await build({
      ...tracingBundleOptions(),
      write: false,
      metafile: true,
      sourcemap: false,
    });

    // Assess
    const inputs = (result: typeof handler) => Object.keys(Object.values(result.metafile.outputs)[0]!.inputs);
    expect(inputs(handler).filter((path) => TRACER_MODULES.test(path))).toEqual([]);
    expect(inputs(tracing).some((path) => path.includes('aws-xray-sdk-core'))).toBe(true);
    expect(handler.outputFiles[0]!.text).toContain('require("./tracing.js")');
  }, 60_000);

  it('when the bundled handler is loaded, tracing.js stays unloaded until the first invocation X-Ray samples', async () => {
    // Prepare
    const handler = await build({ ...bundleOptions('run-smoke-checks'), write: false, sourcemap: false });
    const tracing = await build({ ...tracingBundleOptions(), write: false, sourcemap: false });
    writeFileSync(join(dir, 'handler.js'), handler.outputFiles[0]!.contents);
    writeFileSync(join(dir, 'tracing.js'), tracing.outputFiles[0]!.contents);
    const probe = `
      const loaded = () => Object.keys(require.cache).some((file) => file.endsWith('tracing.js'));
      const { handler } = require(process.argv[1]);
      const atLoad = loaded();
      handler({}, { functionName: 'probe', awsRequestId: 'probe-1', getRemainingTimeInMillis: () => 1000 })
        .catch((error) => error.name)
        .then((outcome) => console.log(JSON.stringify({ atLoad, afterFirst: loaded(), outcome })));`;

    const firstInvocation = (traceHeader?: string) => {
      const output = execFileSync(process.execPath, ['-e', probe, join(dir, 'handler.js')], {
        env: {
          PATH: process.env.PATH,
          POWERTOOLS_TRACE_ENABLED: 'false',
          POWERTOOLS_DEV: '',
          ...(traceHeader && { _X_AMZN_TRACE_ID: traceHeader }),
        },
      }).toString();
      return JSON.parse(output.trim().split('\n').pop()!) as unknown;
    };

    // Act
    const sampled = firstInvocation(
      'Root=1-6763a2f0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1',
    );
    const notSampled = firstInvocation(
      'Root=1-6763a2f0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0',
    );
    const untraced = firstInvocation();

    // Assess
    expect(sampled).toEqual({ atLoad: false, afterFirst: true, outcome: 'InvalidStepInput' });
    expect(notSampled).toEqual({ atLoad: false, afterFirst: false, outcome: 'InvalidStepInput' });
    expect(untraced).toEqual({ atLoad: false, afterFirst: false, outcome: 'InvalidStepInput' });
  }, 120_000);

  it('when a function is bundled with the packaged configuration digest, the bundle carries it for the cold start', async () => {
    // Prepare
    const digest = 'f'.repeat(64);

    // Act
    const withDigest = await build({
      ...bundleOptions('start-promotion', digest),
      write: false,
      sourcemap: false,
    });
    const without = await build({ ...bundleOptions('start-promotion'), write: false, sourcemap: false });

    // Assess
    expect(withDigest.outputFiles[0]!.text).toContain(JSON.stringify(digest));
    expect(without.outputFiles[0]!.text).not.toContain(JSON.stringify(digest));
  }, 60_000);
});
