/**
 * Bundles every function under functions/ with esbuild into dist/functions/<name>/handler.js: one
 * minified CommonJS file per function, for Node 22 in Lambda and still runnable on Node 20. The AWS SDK is
 * bundled from its ES module build, so tree-shaking keeps only the commands a function sends (its CommonJS
 * build carries every command and schema of a service), and the SDK version is the one the tests ran with,
 * not whatever the runtime ships. Of the SDK's default credential chain only the environment link stays
 * (see scripts/bundle/lambda-credentials.ts), and the SDK's settings never look in ~/.aws (a Lambda has no
 * such files; scripts/bundle/lambda-shared-config.ts). Source maps go to dist/sourcemaps/<name>/handler.js.map,
 * outside the zips: docs/cold-start.md says how to map a stack trace with them.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadConfigFile } from '../shared/config/config.loader';
import { packagedConfigDigest } from '../shared/wiring/pipeline-config';
import { dirname, join } from 'node:path';

export const FUNCTIONS_DIR = join(__dirname, '..', 'functions');
export const DIST_DIR = join(__dirname, '..', 'dist', 'functions');
/** Source maps of the bundles: build artefacts, never deployed (same depth as DIST_DIR, so their paths hold). */
export const SOURCEMAP_DIR = join(__dirname, '..', 'dist', 'sourcemaps');

export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR).filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'handler.ts')));
}

/** Where the validated configuration is written for the functions (PIPELINE_CONFIG_FILE in Lambda). */
export const PACKAGED_CONFIG = join(__dirname, '..', 'dist', 'pipeline.config.json');

export async function buildFunctions(
  configFile = process.env.PIPELINE_CONFIG_FILE ?? join(__dirname, '..', 'pipeline.config.yml'),
): Promise<{ name: string; file: string }[]> {
  // A bad configuration stops the build here, with the file and path, instead of failing in Lambda.
  const packaged = JSON.stringify(loadConfigFile(configFile));
  writeFileSync(packagedConfigPath(), packaged);
  const configDigest = packagedConfigDigest(packaged);
  const names = functionNames();
  // A file left from an earlier build (a source map, a renamed chunk) would be zipped with the function.
  for (const dir of [DIST_DIR, SOURCEMAP_DIR]) rmSync(dir, { recursive: true, force: true });
  await Promise.all(names.map((name) => bundleFunction(name, configDigest)));
  return names.map((name) => ({ name, file: join(DIST_DIR, name, 'handler.js') }));
}

/** Writes one function's bundle into its package folder and its source map beside, outside the zip. */
async function bundleFunction(name: string, configDigest: string): Promise<void> {
  const options = bundleOptions(name, configDigest);
  const result = await build({ ...options, write: false });
  for (const file of result.outputFiles) {
    const target = file.path.endsWith('.map') ? join(SOURCEMAP_DIR, name, 'handler.js.map') : file.path;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.contents);
  }
}

/**
 * How one function is bundled; test/infrastructure/function-roles.test.ts bundles the same way to read its
 * AWS calls. `configDigest`, the digest of the configuration packaged with the bundle, becomes the bundle's
 * PACKAGED_CONFIG_SHA256 (shared/wiring/pipeline-config.ts), so a cold start does not check that file again.
 */
export function bundleOptions(name: string, configDigest?: string): BuildOptions & { outfile: string } {
  return {
    ...(configDigest ? { define: { PACKAGED_CONFIG_SHA256: JSON.stringify(configDigest) } } : {}),
    entryPoints: [join(FUNCTIONS_DIR, name, 'handler.ts')],
    outfile: join(DIST_DIR, name, 'handler.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // The ES module builds of the SDK (and of Powertools) tree-shake; their CommonJS builds do not.
    mainFields: ['module', 'main'],
    // A map file without a link from the bundle: Lambda never reads it, an operator maps traces with it.
    sourcemap: 'external',
    legalComments: 'none',
    plugins: [
      lambdaCredentialsOnly,
      sharedConfigFilesSkipped,
      unusedPaginatorsDropped,
      powertoolsEsmOnRequire,
      sdkSchemasShaken,
      sdkPackageVersionOnly,
      middyWebStreamsOnFirstUse,
    ],
    // `import()` becomes a `require()` when it runs. The SDK's HTTP handler imports `node:http` with
    // `import()` for its agent: a real dynamic import builds the builtin's ES module facade, whose getters
    // load undici (about 18 ms of a first invocation in a CPU profile); a require does not.
    supported: { 'dynamic-import': false },
    logLevel: 'warning',
  };
}

/**
 * shared/middleware/powertools.ts `require`s Powertools Logger and Metrics on first use, where esbuild would
 * pick their CommonJS builds (bigger, and not the ones the rest of the bundle shares); this resolves those
 * requires to the ES module builds, which esbuild still evaluates only when the require runs.
 */
export const powertoolsEsmOnRequire: Plugin = {
  name: 'powertools-esm-on-require',
  setup(build) {
    build.onResolve({ filter: /^@aws-lambda-powertools\/(logger|metrics)(\/middleware)?$/ }, async (args) => {
      if (args.kind !== 'require-call') return undefined;
      const esm = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
      return esm.errors.length > 0 ? undefined : { path: esm.path };
    });
  },
};

/** Where the bundles take their AWS credentials from instead of the SDK's whole default chain. */
export const LAMBDA_CREDENTIALS = join(__dirname, 'bundle', 'lambda-credentials.ts');

/**
 * Resolves `@aws-sdk/credential-provider-node` (the default chain every SDK client imports) to
 * LAMBDA_CREDENTIALS: the environment only, which is where Lambda puts the function role's credentials.
 */
export const lambdaCredentialsOnly: Plugin = {
  name: 'lambda-credentials-only',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: LAMBDA_CREDENTIALS }));
  },
};

/** Where the bundles' SDK settings come from instead of the environment, then ~/.aws, then the default. */
export const LAMBDA_SHARED_CONFIG = join(__dirname, 'bundle', 'lambda-shared-config.ts');

/**
 * Resolves the config loader's `fromSharedConfigFiles` (the link of every SDK setting's chain that reads
 * ~/.aws/config and ~/.aws/credentials on a client's first request) to LAMBDA_SHARED_CONFIG, which finds
 * nothing at once: a Lambda has no such files, its settings are in its environment.
 */
export const sharedConfigFilesSkipped: Plugin = {
  name: 'shared-config-files-skipped',
  setup(build) {
    build.onResolve({ filter: /^\.\/fromSharedConfigFiles$/ }, (args) =>
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]config[\\/]node-config-provider$/.test(
        args.resolveDir,
      )
        ? { path: LAMBDA_SHARED_CONFIG }
        : undefined,
    );
  },
};

/** What @middy/core gets for `node:stream/web`: the same class, loaded when first read. */
export const STREAM_WEB_ON_FIRST_USE = join(__dirname, 'bundle', 'stream-web-on-first-use.ts');

/**
 * Resolves @middy/core's `node:stream/web` to STREAM_WEB_ON_FIRST_USE: middy needs it only to stream a
 * response, and loading it at the top of the bundle cost every function's load 5–13 ms.
 */
export const middyWebStreamsOnFirstUse: Plugin = {
  name: 'middy-web-streams-on-first-use',
  setup(build) {
    build.onResolve({ filter: /^node:stream\/web$/ }, (args) =>
      /[\\/]node_modules[\\/]@middy[\\/]core[\\/]/.test(args.importer)
        ? { path: STREAM_WEB_ON_FIRST_USE }
        : undefined,
    );
  },
};

function packagedConfigPath(): string {
  mkdirSync(join(__dirname, '..', 'dist'), { recursive: true });
  return PACKAGED_CONFIG;
}

/**
 * The SDK's paginators are module-level calls esbuild must keep unless told they have no side effects; a
 * kept paginator keeps its command (and so an IAM action in test/infrastructure/function-roles.test.ts).
 */
export const unusedPaginatorsDropped: Plugin = {
  name: 'unused-paginators-dropped',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, async (args) => {
      const inSdk = /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]/.test(args.importer);
      const paginator =
        /^\.\/(pagination|waiters)(\/|$)/.test(args.path) ||
        /[\\/](pagination|waiters)$/.test(args.resolveDir);
      if (!inSdk || !paginator || args.pluginData === 'unused-paginators-dropped') return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'unused-paginators-dropped',
      });
      return resolved.errors.length > 0 ? undefined : { path: resolved.path, sideEffects: false };
    });
  },
};

/** The schema modules of the SDK's clients: every shape and operation of a service, as module-level arrays. */
const SDK_SCHEMAS =
  /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/][^\\/]+\.js$/;

/**
 * Lets esbuild drop the schemas of the operations a function never sends. A schema module writes its traits
 * with computed keys over its own string constants (`{ [_h]: ["POST", "/v2/email/outbound-emails", 200] }`),
 * and esbuild keeps every statement with a computed key, as the key could run code; a kept operation keeps
 * its input and output shapes. With the constants written in as plain keys, an unused schema is unused: the
 * REST services (SESv2: all of its ~480 shapes for one SendEmail, 47 KB of request-approval's bundle)
 * keep only the shapes of their commands. The arrays are the same values either way.
 */
export const sdkSchemasShaken: Plugin = {
  name: 'sdk-schemas-shaken',
  setup(build) {
    build.onLoad({ filter: SDK_SCHEMAS }, async (args) => ({
      contents: plainSchemaKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

/** `{ [_h]: x, [_e]: y }` → `{ "http": x, "error": y }` for the module's `const _h = "http";` constants. */
export function plainSchemaKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm))
    constants.set(name!, literal!);
  return source.replace(/([{,]\s*)\[(_\w+)\]:/g, (key, before: string, name: string) => {
    const literal = constants.get(name);
    return literal === undefined ? key : `${before}${literal}:`;
  });
}

/**
 * Every SDK client's runtime configuration imports its whole package.json for one field, the version in its
 * user agent; the bundle keeps the version only (about 2 KB per client).
 */
export const sdkPackageVersionOnly: Plugin = {
  name: 'sdk-package-version-only',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ },
      async (args) => {
        const { version } = JSON.parse(await readFile(args.path, 'utf8')) as { version: string };
        return { contents: JSON.stringify({ version }), loader: 'json' };
      },
    );
  },
};

if (require.main === module) {
  buildFunctions().then(
    (built) => console.log(`built ${built.length} functions into dist/functions`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
