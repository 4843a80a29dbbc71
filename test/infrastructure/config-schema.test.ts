/**
 * pipeline.config.schema.json, the JSON Schema editors check pipeline.config.yml against, is generated
 * from the zod schema by `npm run schema`: it must be what the generator writes today, and the sample
 * configuration must pass it. No JSON Schema library is a dependency, so `validate` below implements the
 * keywords the generated schema uses, and a test fails if the generator starts emitting another one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from '../../scripts/generate-config-schema';

const ROOT = join(__dirname, '..', '..');
const SAMPLE_CONFIG = join(ROOT, 'pipeline.config.yml');

type JsonSchema = Record<string, unknown>;

const committed = () => readFileSync(CONFIG_SCHEMA_FILE, 'utf8');
const schema = () => JSON.parse(committed()) as JsonSchema;
const sample = () => parse(readFileSync(SAMPLE_CONFIG, 'utf8')) as Record<string, unknown>;

describe('pipeline.config.schema.json', () => {
  test('is what `npm run schema` generates from shared/config/config.schema.ts (run it if this fails)', () => {
    expect(committed()).toBe(configJsonSchemaText());
  });

  test('is a described JSON Schema 2020-12 document', () => {
    const s = schema();
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(typeof s.$id).toBe('string');
    expect(typeof s.title).toBe('string');
    expect(typeof s.description).toBe('string');
    expect(s.type).toBe('object');
    expect(s.required).toEqual(['version', 'environments', 'services']);
    expect(s.additionalProperties).toBe(false);
  });

  test('leaves fields with defaults optional (io: input) and keeps the defaults for editors', () => {
    const smokeCheck = at(schema(), [
      'properties',
      'services',
      'items',
      'properties',
      'environments',
      'additionalProperties',
      'properties',
      'smoke',
      'items',
    ]);
    expect(smokeCheck.required).toEqual(['name', 'path']);
    expect(at(smokeCheck, ['properties', 'method']).default).toBe('GET');
    expect(at(smokeCheck, ['properties', 'expectStatus']).default).toBe(200);
  });

  test('carries the checks of z.email() and z.url({ protocol })', () => {
    const environment = at(schema(), ['properties', 'environments', 'items', 'properties']);
    const approver = at(environment, ['approval', 'properties', 'approvers', 'items']);
    expect(approver.format).toBe('email');
    const target = at(schema(), [
      'properties',
      'services',
      'items',
      'properties',
      'environments',
      'additionalProperties',
      'properties',
      'regions',
      'additionalProperties',
      'properties',
      'endpoint',
    ]);
    expect(target.format).toBe('uri');
    expect(validate(target, 'https://orders-api.example.internal')).toEqual([]);
    expect(validate(target, 'ftp://orders-api.example.internal')).not.toEqual([]);
  });

  test('uses only keywords the structural check below understands, and only standard formats', () => {
    const unknown = new Set<string>();
    const formats = new Set<string>();
    walkSchemas(schema(), (s) => {
      for (const key of Object.keys(s)) if (!KNOWN_KEYWORDS.has(key)) unknown.add(key);
      if (typeof s.format === 'string') formats.add(s.format);
    });
    expect([...unknown]).toEqual([]);
    expect([...formats].sort()).toEqual(['email', 'uri']);
  });

  test('accepts the sample pipeline.config.yml', () => {
    expect(validate(schema(), sample())).toEqual([]);
    expect(readFileSync(SAMPLE_CONFIG, 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\/pipeline\.config\.schema\.json$/m,
    );
  });

  test.each<[string, (config: Record<string, unknown>) => void, string]>([
    ['an unknown top-level field', (c) => (c.extra = true), '/extra'],
    ['a wrong version', (c) => (c.version = 2), '/version'],
    ['an unknown trigger', (c) => (env(c, 0).trigger = 'manual'), '/environments/0/trigger'],
    ['a region that is no AWS region', (c) => (env(c, 0).regions = ['Ireland']), '/environments/0/regions/0'],
    ['no environments', (c) => (c.environments = []), '/environments'],
    ['an approver that is no email address', (c) => setApprover(c, 'release manager'), 'approvers/0'],
    ['a smoke path without a leading /', (c) => (firstSmokeCheck(c).path = 'health'), '/smoke/0/path'],
    ['a missing ECR repository', (c) => delete service(c).ecrRepository, '/services/0'],
    [
      'canary pauses that are neither a number nor a list',
      (c) => setProd(c, { strategy: 'canary', canary: { pauseMinutes: 'ten' } }),
      '/canary/pauseMinutes',
    ],
  ])('rejects %s', (_, mutate, where) => {
    const config = sample();
    mutate(config);
    const problems = validate(schema(), config);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.includes(where))).toBe(true);
  });
});

// ---- a structural JSON Schema check, for the keywords the generated schema uses ------------------

const KNOWN_KEYWORDS = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'default',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'anyOf',
]);

const FORMATS: Record<string, (value: string) => boolean> = {
  // Structural only: the zod schema checks addresses and URLs properly.
  email: (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value),
  uri: (value) => URL.canParse(value),
};

/** The problems found, as "<JSON pointer>: <what>"; empty when `value` passes `schema`. */
function validate(schema: JsonSchema, value: unknown, pointer = ''): string[] {
  const problems: string[] = [];
  const fail = (what: string) => problems.push(`${pointer || '/'}: ${what}`);

  // anyOf (a number or a list, such as canary.pauseMinutes): passes when one branch passes.
  if (Array.isArray(schema.anyOf)) {
    const branches = (schema.anyOf as JsonSchema[]).map((branch) => validate(branch, value, pointer));
    if (!branches.some((b) => b.length === 0)) fail('matches none of the allowed forms');
  }
  if (schema.const !== undefined && value !== schema.const) fail(`must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    fail(`must be one of ${schema.enum.join(', ')}`);
  if (typeof schema.type === 'string' && !hasType(value, schema.type)) {
    fail(`must be of type ${schema.type}`);
    return problems;
  }

  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail('too short');
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) fail('too long');
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      fail(`must match ${schema.pattern}`);
    if (typeof schema.format === 'string' && !FORMATS[schema.format]?.(value))
      fail(`must be a ${schema.format}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail(`must be >= ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail(`must be <= ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      fail(`must be > ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
      fail(`must be < ${schema.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail('too few items');
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail('too many items');
    if (isSchema(schema.items))
      value.forEach((item, i) =>
        problems.push(...validate(schema.items as JsonSchema, item, `${pointer}/${i}`)),
      );
  }
  if (isPlainObject(value)) {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in value)) fail(`missing "${key}"`);
    for (const [key, item] of Object.entries(value)) {
      const at = `${pointer}/${key}`;
      if (isSchema(schema.propertyNames)) problems.push(...validate(schema.propertyNames, key, at));
      if (properties[key]) problems.push(...validate(properties[key], item, at));
      else if (schema.additionalProperties === false) problems.push(`${at}: unknown property`);
      else if (isSchema(schema.additionalProperties))
        problems.push(...validate(schema.additionalProperties, item, at));
    }
  }
  return problems;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

/** Calls `visit` on `schema` and every subschema in it. */
function walkSchemas(schema: JsonSchema, visit: (s: JsonSchema) => void): void {
  visit(schema);
  for (const key of ['items', 'additionalProperties', 'propertyNames'])
    if (isSchema(schema[key])) walkSchemas(schema[key], visit);
  if (Array.isArray(schema.anyOf)) for (const sub of schema.anyOf as JsonSchema[]) walkSchemas(sub, visit);
  for (const sub of Object.values((schema.properties ?? {}) as Record<string, JsonSchema>))
    walkSchemas(sub, visit);
}

function at(schema: JsonSchema, path: string[]): JsonSchema {
  return path.reduce<JsonSchema>((s, key) => {
    const next = s[key];
    if (!isSchema(next)) throw new Error(`no schema at ${path.join('.')} (stopped at ${key})`);
    return next;
  }, schema);
}

function isSchema(value: unknown): value is JsonSchema {
  return isPlainObject(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- sample mutations ----------------------------------------------------------------------------

function env(config: Record<string, unknown>, i: number): Record<string, unknown> {
  return (config.environments as Record<string, unknown>[])[i]!;
}

function service(config: Record<string, unknown>): Record<string, unknown> {
  return (config.services as Record<string, unknown>[])[0]!;
}

function setApprover(config: Record<string, unknown>, approver: string): void {
  const withApproval = (config.environments as Record<string, unknown>[]).find((e) => e.approval);
  (withApproval!.approval as { approvers: string[] }).approvers = [approver];
}

function setProd(config: Record<string, unknown>, fields: Record<string, unknown>): void {
  const environments = service(config).environments as Record<string, Record<string, unknown>>;
  environments['prod'] = { ...environments['prod'], ...fields };
}

function firstSmokeCheck(config: Record<string, unknown>): Record<string, unknown> {
  const environments = service(config).environments as Record<string, { smoke: Record<string, unknown>[] }>;
  // The sample shares smoke lists between environments through YAML anchors: copy before changing.
  const first = Object.values(environments)[0]!;
  first.smoke = first.smoke.map((check) => ({ ...check }));
  return first.smoke[0]!;
}
