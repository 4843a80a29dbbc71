import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error';
import { pipelineConfigSchema, type PipelineConfig } from '../config/config.schema';
import { readRuntimeEnv } from '../config/runtime-env';

/**
 * The digest of the configuration file the build validated and packaged beside the bundle: esbuild defines
 * it in every function bundle (scripts/build-functions.ts); undefined where the sources run unbundled.
 */
declare const PACKAGED_CONFIG_SHA256: string | undefined;
const packagedDigest = typeof PACKAGED_CONFIG_SHA256 === 'string' ? PACKAGED_CONFIG_SHA256 : undefined;

/** The digest the build records of the packaged configuration's text. */
export function packagedConfigDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The configuration a function was packaged with. `npm run package` validates pipeline.config.yml and
 * writes it as JSON beside the bundles, so a cold start neither ships nor runs a YAML parser.
 */
export function pipelineConfig(): PipelineConfig {
  return readPackagedConfig(readRuntimeEnv(['PIPELINE_CONFIG_FILE']).PIPELINE_CONFIG_FILE, packagedDigest);
}

/**
 * Reads a packaged configuration. When its text has the digest of the file the build validated
 * (`validatedDigest`), it is that file, already the schema's output: building and running the whole
 * configuration schema again cost a step's first invocation about a seventh of a bare SDK client's load
 * (docs/cold-start.md). Any other text (edited by hand after packaging, or no digest) is checked by the schema.
 */
export function readPackagedConfig(file: string, validatedDigest?: string): PipelineConfig {
  let text: string;
  let data: unknown;
  try {
    text = readFileSync(file, 'utf8');
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`cannot read the packaged configuration: ${(error as Error).message}`]);
  }
  if (validatedDigest !== undefined && packagedConfigDigest(text) === validatedDigest)
    return data as PipelineConfig;
  const result = pipelineConfigSchema.safeParse(data);
  if (!result.success)
    throw new ConfigError(
      file,
      result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  return result.data;
}
