import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../../shared/config/config.loader';
import { packagedConfigDigest, readPackagedConfig } from '../../../shared/wiring/pipeline-config';
import { configErrorThrownBy } from '../../support/config-errors';

const dir = mkdtempSync(join(tmpdir(), 'packaged-config-'));

/** Writes `text` as a packaged configuration file and returns its path. */
function packaged(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('readPackagedConfig', () => {
  const text = JSON.stringify(loadConfigFile(join(__dirname, '..', '..', '..', 'pipeline.config.yml')));

  it('when the file is the one the build validated, it returns it as the schema would', () => {
    // Prepare
    const file = packaged('validated.json', text);

    // Act
    const trusted = readPackagedConfig(file, packagedConfigDigest(text));
    const checked = readPackagedConfig(file);

    // Assess
    expect(trusted).toEqual(checked);
  });

  it('when the file was edited after packaging, the schema checks it and names the path', () => {
    // Prepare
    const edited = JSON.parse(text) as { environments: unknown };
    edited.environments = 'none';
    const file = packaged('edited.json', JSON.stringify(edited));

    // Act
    const error = configErrorThrownBy(() => readPackagedConfig(file, packagedConfigDigest(text)));

    // Assess
    expect(error.file).toBe(file);
    expect(error.problems.some((problem) => problem.startsWith('environments: '))).toBe(true);
  });

  it('when the text has the validated digest, the schema is not run again', () => {
    // Prepare: the schema would refuse this text, so only a skipped check returns it.
    const unchecked = '{"stages":"none"}';
    const file = packaged('digest-only.json', unchecked);

    // Act
    const read = readPackagedConfig(file, packagedConfigDigest(unchecked));

    // Assess
    expect(read).toEqual({ stages: 'none' });
  });

  it('when the file is not JSON, it says it cannot read it', () => {
    // Prepare
    const file = packaged('broken.json', '{');

    // Act
    const error = configErrorThrownBy(() => readPackagedConfig(file, packagedConfigDigest('{')));

    // Assess
    expect(error.problems).toEqual([expect.stringMatching(/^cannot read the packaged configuration: /)]);
  });
});
