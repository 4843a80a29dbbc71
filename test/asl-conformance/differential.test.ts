/**
 * Our ASL interpreter (local-runtime/engine) against an independent one: moto's, which is derived from
 * LocalStack's. Every case of the corpus (test/asl-conformance/corpus/*.json) runs through both; their
 * outcomes (output, or error name and, for errors the definition names itself, cause) must agree, or the
 * difference must be listed in known-differences.json with the ASL specification's words saying why moto's
 * result is the wrong one. A listed difference that no longer occurs fails the test too, so the list stays
 * honest. How to add a case: docs/asl-conformance.md.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { startMotoServer, type MotoServer } from '../support/moto-server';
import {
  judge,
  loadCorpus,
  loadKnownDifferences,
  mapWithLimit,
  REGION,
  runMoto,
  runOurs,
  type MotoMachines,
} from './harness';

/** Executions in flight at once on moto: its interpreter runs each in a thread of one Python process. */
const CONCURRENCY = 12;

let moto: MotoServer;
let client: SFNClient;
beforeAll(async () => {
  moto = await startMotoServer();
  await moto.configure({ stepfunctions: { execute_state_machine: true } });
  // A few attempts: under load, moto's development web server can drop a connection.
  client = new SFNClient({ ...moto.clientConfig(REGION), maxAttempts: 3 });
}, 90_000);
afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

const cases = loadCorpus();
const known = loadKnownDifferences();

describe('our ASL interpreter against moto', () => {
  it('when the corpus and the known differences are read, there are 200+ definitions and each difference says why', () => {
    // Prepare
    const ids = new Set(cases.map((c) => c.id));

    // Act
    const problems = known.flatMap((d, index) => {
      const where = `known-differences.json #${index} (${String(d.case)})`;
      return [
        ...(ids.has(d.case) ? [] : [`${where}: no corpus case has this id`]),
        ...(typeof d.why === 'string' && d.why.includes('"')
          ? []
          : [`${where}: "why" must quote the ASL specification (or the API reference) in double quotes`]),
        ...(known.findIndex((other) => other.case === d.case) === index ? [] : [`${where}: listed twice`]),
      ];
    });

    // Assess
    expect(problems).toEqual([]);
    expect(new Set(cases.map((c) => c.machineName)).size).toBeGreaterThanOrEqual(200);
  });

  it('when every corpus definition runs through both interpreters, they agree except for the listed differences', async () => {
    // Prepare
    const machines: MotoMachines = new Map();
    const started = Date.now();

    // Act
    const results = await mapWithLimit(cases, CONCURRENCY, async (c) => {
      try {
        return { c, ours: await runOurs(c), moto: await runMoto(client, c, machines) };
      } catch (err) {
        return { c, failure: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      }
    });

    // Assess
    const { agreements, knownDifferences, unexpected, stale } = judge(results, known);
    console.log(
      `ASL differential test: ${machines.size} definitions compared with moto's interpreter ` +
        `in ${results.length} executions: ${agreements} agree, ${knownDifferences} known differences (moto's mistakes, ` +
        `test/asl-conformance/known-differences.json), ${unexpected.length} unexpected, ` +
        `${stale.length} no longer different; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect({ unexpected, stale }).toEqual({ unexpected: [], stale: [] });
  }, 600_000);
});
