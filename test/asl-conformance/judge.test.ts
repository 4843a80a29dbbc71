/**
 * How the differential test sorts its results (no moto needed): the known-differences list must stay honest
 * in both directions, and a corpus file with a mistake must say where it is.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judge, loadCorpus, type KnownDifference, type LoadedCase, type Outcome } from './harness';

const pass = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
const aCase = (id: string): LoadedCase => ({
  id,
  family: id.split('/')[0] ?? '',
  name: id.split('/')[1] ?? '',
  definition: pass,
  resourceName: id.replace('/', '-'),
  machineName: id.replace('/', '-'),
});
const succeeded = (output: unknown): Outcome => ({ status: 'SUCCEEDED', output });
const failed = (error: string): Outcome => ({ status: 'FAILED', error });
const listed = (id: string, ours: Outcome, moto: Outcome): KnownDifference => ({
  case: id,
  ours,
  moto,
  why: 'ASL spec: "words"',
});

describe('judging the differential results', () => {
  it('when both interpreters agree and nothing is listed, it counts an agreement', () => {
    // Act
    const verdict = judge([{ c: aCase('f/a'), ours: succeeded({ x: 1 }), moto: succeeded({ x: 1 }) }], []);

    // Assess
    expect(verdict).toEqual({ agreements: 1, knownDifferences: 0, unexpected: [], stale: [] });
  });

  it('when they differ exactly as listed, it counts a known difference', () => {
    // Prepare
    const known = [listed('f/a', failed('States.IntrinsicFailure'), failed('States.Runtime'))];

    // Act
    const verdict = judge(
      [{ c: aCase('f/a'), ours: failed('States.IntrinsicFailure'), moto: failed('States.Runtime') }],
      known,
    );

    // Assess
    expect(verdict).toEqual({ agreements: 0, knownDifferences: 1, unexpected: [], stale: [] });
  });

  it('when they differ and nothing is listed, it reports the case with both outcomes and what to do', () => {
    // Act
    const verdict = judge([{ c: aCase('f/a'), ours: succeeded(1), moto: succeeded(2) }], []);

    // Assess
    expect(verdict.unexpected).toHaveLength(1);
    expect(verdict.unexpected[0]).toContain('f/a: ours {"status":"SUCCEEDED","output":1}');
    expect(verdict.unexpected[0]).toContain('known-differences.json');
  });

  it('when a listed difference now differs in another way, it reports it as unexpected', () => {
    // Prepare
    const known = [listed('f/a', failed('States.IntrinsicFailure'), failed('States.Runtime'))];

    // Act
    const verdict = judge(
      [{ c: aCase('f/a'), ours: failed('States.IntrinsicFailure'), moto: succeeded(3) }],
      known,
    );

    // Assess
    expect(verdict.unexpected).toHaveLength(1);
    expect(verdict.unexpected[0]).toContain('listed as ours');
  });

  it('when a listed difference no longer occurs, it reports it as stale', () => {
    // Prepare
    const known = [listed('f/a', succeeded(1), succeeded(2))];

    // Act
    const verdict = judge([{ c: aCase('f/a'), ours: succeeded(1), moto: succeeded(1) }], known);

    // Assess
    expect(verdict.stale).toEqual([
      'f/a: listed as a difference, but both now give {"status":"SUCCEEDED","output":1}',
    ]);
    expect(verdict.agreements).toBe(0);
  });

  it('when a case could not run, it reports the case and the reason', () => {
    // Act
    const verdict = judge([{ c: aCase('f/a'), failure: 'TimeoutError: socket hang up' }], []);

    // Assess
    expect(verdict.unexpected).toEqual(['f/a: could not run: TimeoutError: socket hang up']);
  });
});

describe('reading the corpus', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'asl-corpus-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when two cases with one definition differ only in input, they share a state machine name', () => {
    // Prepare
    writeFileSync(
      join(dir, 'family.json'),
      JSON.stringify({
        description: 'd',
        cases: [
          { name: 'one', definition: pass, input: { a: 1 } },
          { name: 'two', definition: pass, input: { a: 2 } },
        ],
      }),
    );

    // Act
    const [one, two] = loadCorpus(dir);

    // Assess
    expect(one?.id).toBe('family/one');
    expect(two?.machineName).toBe(one?.machineName);
    expect(two?.resourceName).not.toBe(one?.resourceName);
  });

  it('when a file names two cases alike, it says which file and which name', () => {
    // Prepare
    writeFileSync(
      join(dir, 'family.json'),
      JSON.stringify({
        description: 'd',
        cases: [
          { name: 'same', definition: pass },
          { name: 'same', definition: pass },
        ],
      }),
    );

    // Act
    const act = (): unknown => loadCorpus(dir);

    // Assess
    expect(act).toThrow("family.json: two cases are named 'same'");
  });

  it('when a file is not a corpus file, it says what shape one has', () => {
    // Prepare
    writeFileSync(join(dir, 'broken.json'), JSON.stringify([{ name: 'x' }]));

    // Act
    const act = (): unknown => loadCorpus(dir);

    // Assess
    expect(act).toThrow('broken.json: a corpus file is { "description": string, "cases": [...] }');
  });
});
