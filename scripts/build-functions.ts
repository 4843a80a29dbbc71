/**
 * Bundles every function under functions/ with esbuild into dist/functions/<name>/handler.js: one
 * minified CommonJS file per function, for Node 22 in Lambda and still runnable on Node 20. The AWS SDK
 * stays external: the Lambda runtime provides it (and locally it resolves from node_modules).
 */
import { build, type BuildOptions } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadConfigFile } from '../shared/config/config.loader';
import { join } from 'node:path';

export const FUNCTIONS_DIR = join(__dirname, '..', 'functions');
export const DIST_DIR = join(__dirname, '..', 'dist', 'functions');

export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR).filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'handler.ts')));
}

/** Where the validated configuration is written for the functions (PIPELINE_CONFIG_FILE in Lambda). */
export const PACKAGED_CONFIG = join(__dirname, '..', 'dist', 'pipeline.config.json');

export async function buildFunctions(
  configFile = process.env.PIPELINE_CONFIG_FILE ?? join(__dirname, '..', 'pipeline.config.yml'),
): Promise<{ name: string; file: string }[]> {
  // A bad configuration stops the build here, with the file and path, instead of failing in Lambda.
  writeFileSync(packagedConfigPath(), JSON.stringify(loadConfigFile(configFile)));
  const names = functionNames();
  await Promise.all(names.map((name) => build(bundleOptions(name))));
  return names.map((name) => ({ name, file: join(DIST_DIR, name, 'handler.js') }));
}

/** How one function is bundled; test/infrastructure/function-roles.test.ts bundles the same way to read its AWS calls. */
export function bundleOptions(name: string): BuildOptions & { outfile: string } {
  return {
    entryPoints: [join(FUNCTIONS_DIR, name, 'handler.ts')],
    outfile: join(DIST_DIR, name, 'handler.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    legalComments: 'none',
    // The nodejs22.x runtime provides AWS SDK v3; bundling it again would quadruple every bundle.
    external: ['@aws-sdk/*', '@smithy/*'],
    logLevel: 'warning',
  };
}

function packagedConfigPath(): string {
  mkdirSync(join(__dirname, '..', 'dist'), { recursive: true });
  return PACKAGED_CONFIG;
}

if (require.main === module) {
  buildFunctions().then(
    (built) => console.log(`built ${built.length} functions into dist/functions`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
