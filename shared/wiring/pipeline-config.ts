import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error';
import { pipelineConfigSchema, type PipelineConfig } from '../config/config.schema';
import { readRuntimeEnv } from '../config/runtime-env';

/**
 * The configuration a function was packaged with. `npm run package` validates pipeline.config.yml and
 * writes it as JSON beside the bundles, so a cold start neither ships nor runs a YAML parser; the schema
 * still checks it here, in case the file was edited by hand after packaging.
 */
export function pipelineConfig(): PipelineConfig {
  const file = readRuntimeEnv(['PIPELINE_CONFIG_FILE']).PIPELINE_CONFIG_FILE;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, [`cannot read the packaged configuration: ${(error as Error).message}`]);
  }
  const result = pipelineConfigSchema.safeParse(data);
  if (!result.success)
    throw new ConfigError(
      file,
      result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  return result.data;
}
