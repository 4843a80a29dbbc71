// Names the per-function IAM roles before serverless-iam-roles-per-function builds them. Its own names,
// <service>-<stage>-<function>-<region>, pass IAM's 64 characters for long stages in long regions (stage
// `staging` in ap-southeast-2 already fails), and it then refuses to package. Role names are global to the
// account, so they keep stage and region; a name that would be too long is cut and ends in a hash of the
// whole name, so it stays unique and the same on every deploy.
const { createHash } = require('node:crypto');

const IAM_ROLE_NAME_MAX = 64;
const HASH_LENGTH = 8;

/**
 * The role name of one function: `<service>-<stage>-<region>-<function>`, at most 64 characters. When that
 * is too long, the service part is cut (stage, region and function stay readable) and a hash of the full
 * name is appended.
 */
function roleNameFor({ service, stage, region, functionName }) {
  const full = `${service}-${stage}-${region}-${functionName}`;
  if (full.length <= IAM_ROLE_NAME_MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_LENGTH);
  const suffix = `-${stage}-${region}-${functionName}-${hash}`;
  const room = IAM_ROLE_NAME_MAX - suffix.length;
  if (room >= 3) return `${service.slice(0, room)}${suffix}`;
  return `${full.slice(0, IAM_ROLE_NAME_MAX - HASH_LENGTH - 1)}-${hash}`;
}

class PerFunctionRoleNames {
  constructor(serverless) {
    this.serverless = serverless;
    // Before serverless-iam-roles-per-function, which reads iamRoleStatementsName in before:package:finalize.
    this.hooks = {
      // `vpc: false` (no smokeTestVpc for this region) still makes osls give its unused default role
      // AWSLambdaVPCAccessExecutionRole: leave the property out instead. So are the settings that only a
      // smokeTestVpc turns on (the hook's invoke statement): a statement on no resource is left out.
      'before:package:setupProviderConfiguration': () => this.dropVpcFalse(),
      'after:package:compileFunctions': () => this.nameRoles(),
    };
  }

  dropVpcFalse() {
    for (const functionName of this.serverless.service.getAllFunctions()) {
      const fn = this.serverless.service.getFunction(functionName);
      if (fn.vpc === false) delete fn.vpc;
      if (Array.isArray(fn.iamRoleStatements))
        fn.iamRoleStatements = fn.iamRoleStatements.filter(
          (statement) => !Array.isArray(statement.Resource) || statement.Resource.length > 0,
        );
    }
  }

  nameRoles() {
    const { service } = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const stage = provider.getStage();
    const region = provider.getRegion();
    for (const functionName of this.serverless.service.getAllFunctions()) {
      const fn = this.serverless.service.getFunction(functionName);
      if (!fn.iamRoleStatements || fn.iamRoleStatementsName) continue;
      fn.iamRoleStatementsName = roleNameFor({ service, stage, region, functionName });
    }
  }
}

module.exports = PerFunctionRoleNames;
module.exports.roleNameFor = roleNameFor;
module.exports.IAM_ROLE_NAME_MAX = IAM_ROLE_NAME_MAX;
