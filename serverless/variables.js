// Values serverless.yml computes from pipeline.config.yml, through the same TypeScript modules the
// functions and the local runtime use, so the deployed rules and the local ones cannot drift apart.
require('tsx/cjs');
const path = require('node:path');
const { loadConfigFile } = require('../shared/config/config.loader');
const { patternFor } = require('../shared/event-rules');
const { reconcileSchedule } = require('../shared/domain/reconciliation');

const configFile = process.env.PIPELINE_CONFIG_FILE ?? path.join(__dirname, '..', 'pipeline.config.yml');

module.exports = async () => {
  const config = loadConfigFile(configFile);
  return {
    reconcileSchedule: reconcileSchedule(config.reconciliation.everyMinutes),
    patterns: {
      ecrPush: patternFor(config, 'ecrPush'),
      ecsDeploymentFinished: patternFor(config, 'ecsDeploymentFinished'),
      gitTagCreated: patternFor(config, 'gitTagCreated'),
      codeCommitTagCreated: patternFor(config, 'codeCommitTagCreated'),
    },
  };
};
