/**
 * Writes pipeline.config.schema.json, the JSON Schema editors use for pipeline.config.yml (the file names
 * it on its first line), from the zod schema the pipeline validates the file with. Run `npm run schema`
 * after changing shared/config/config.schema.ts; a test fails while the committed file is out of date.
 *
 * The JSON Schema describes the shape only: the cross-field rules of the zod schema (`refine`,
 * `superRefine`: environment names defined once, every service deploying to every environment...) have no
 * JSON Schema equivalent and are checked when the pipeline loads the file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { pipelineConfigSchema } from '../shared/config/config.schema';

/** The `format` values JSON Schema 2020-12 defines (section 7.3 of the validation vocabulary). */
const STANDARD_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uuid',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);

export const CONFIG_SCHEMA_FILE = join(__dirname, '..', 'pipeline.config.schema.json');

/** The schema as a JSON document: 2-space indent and a trailing newline, as committed. */
export function configJsonSchemaText(): string {
  const generated = z.toJSONSchema(pipelineConfigSchema, {
    target: 'draft-2020-12',
    // Editors check what a person writes: fields with defaults are optional there.
    io: 'input',
    // Nothing in the schema is unrepresentable today; a future z.custom() or z.transform() must fail here.
    unrepresentable: 'throw',
    override: ({ zodSchema, jsonSchema }) => {
      // zod names some string checks as formats JSON Schema does not define ("starts_with" for
      // .startsWith(), whose pattern is emitted as well); an unknown format only trips strict validators.
      if (typeof jsonSchema.format === 'string' && !STANDARD_FORMATS.has(jsonSchema.format))
        delete jsonSchema.format;
      // z.url({ protocol }) becomes `format: uri`, which accepts any scheme: keep the protocol rule.
      const def = zodSchema._zod.def as { format?: string; protocol?: RegExp };
      if (def.format === 'url' && def.protocol && jsonSchema.pattern === undefined)
        jsonSchema.pattern = `^(?:${def.protocol.source.replace(/^\^|\$$/g, '')}):`;
    },
  });
  const { $schema, ...rest } = generated;
  const document = {
    $schema,
    $id: 'https://github.com/example-org/ecs-promotion-pipeline/pipeline.config.schema.json',
    title: 'ECS promotion pipeline configuration',
    description:
      'pipeline.config.yml: the environments in promotion order, with what starts each and their regions, and ' +
      'the services with their ECS targets, smoke checks, bake and alarms per environment. Generated from ' +
      'shared/config/config.schema.ts by `npm run schema`; do not edit. Cross-field rules (names defined ' +
      'once, every service deploying to every environment and region) are checked when the pipeline loads the file.',
    ...rest,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(CONFIG_SCHEMA_FILE, configJsonSchemaText());
  console.log(`wrote ${CONFIG_SCHEMA_FILE}`);
}
