/**
 * IAM role names are at most 64 characters and global to the account. serverless-iam-roles-per-function
 * names each function's role `<service>-<stage>-<function>-<region>` and refuses to package when that is
 * too long (stage `staging` in ap-southeast-2 already was); serverless/role-names.js names them first.
 */
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { packageTemplates, readTemplate, type Template } from '../support/packaged-template';
import { loadServerlessYml } from '../support/serverless-yml';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { roleNameFor, IAM_ROLE_NAME_MAX } = require('../../serverless/role-names.js') as {
  roleNameFor: (parts: { service: string; stage: string; region: string; functionName: string }) => string;
  IAM_ROLE_NAME_MAX: number;
};

const ROOT = join(__dirname, '..', '..');
const serverlessYml = loadServerlessYml();
const functions = Object.keys(serverlessYml.functions);
const regions = [
  ...new Set(loadConfigFile(join(ROOT, 'pipeline.config.yml')).environments.flatMap((e) => e.regions)),
];
/** The longest stage name the pipeline supports. */
const LONGEST_STAGE = 'staging-blue';
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

describe('per-function IAM role names', () => {
  test.each(regions)('fit IAM for a 12-character stage in %s, unique and readable', (region) => {
    expect(LONGEST_STAGE).toHaveLength(12);
    const names = functions.map((functionName) =>
      roleNameFor({ service: serverlessYml.service, stage: LONGEST_STAGE, region, functionName }),
    );
    for (const [i, name] of names.entries()) {
      expect(name).toMatch(IAM_ROLE_NAME);
      expect(name.length).toBeLessThanOrEqual(IAM_ROLE_NAME_MAX);
      // Stage, region and function stay readable: an operator finds the role from its name.
      expect(name).toContain(`-${LONGEST_STAGE}-${region}-${functions[i]}`);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  test('a name that fits is kept whole', () => {
    expect(
      roleNameFor({
        service: 'ecs-promotion-pipeline',
        stage: 'dev',
        region: 'eu-west-1',
        functionName: 'stopStage',
      }),
    ).toBe('ecs-promotion-pipeline-dev-eu-west-1-stopStage');
  });

  describe(`when packaged for stage ${LONGEST_STAGE} in ap-southeast-2`, () => {
    let template: Template;
    beforeAll(async () => {
      // Before role-names.js, serverless package threw here: the generated names passed 64 characters.
      const [file] = await packageTemplates([{ stage: LONGEST_STAGE, region: 'ap-southeast-2' }]);
      template = readTemplate(file!);
    }, 600_000);

    test('every function role has its explicit name, within 64 characters', () => {
      const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
      for (const functionName of functions) {
        const logicalId = `${functionName.charAt(0).toUpperCase()}${functionName.slice(1)}IamRoleLambdaExecution`;
        const role = roles.find(([id]) => id === logicalId);
        expect(role).toBeDefined();
        const name = role![1].Properties!.RoleName;
        expect(name).toBe(
          roleNameFor({
            service: serverlessYml.service,
            stage: LONGEST_STAGE,
            region: 'ap-southeast-2',
            functionName,
          }),
        );
        expect(String(name).length).toBeLessThanOrEqual(64);
      }
    });
  });
});
