import { readRuntimeEnv } from '../../../shared/config/runtime-env';
import { configErrorThrownBy } from '../../support/config-errors';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:promote';

describe('readRuntimeEnv', () => {
  it('when the variables are set, it returns them with the defaults of the others', () => {
    // Prepare
    const env = { PIPELINE_TABLE: 'pipeline', PROMOTE_STATE_MACHINE_ARN: ARN, UNRELATED: 'x' };

    // Act
    const read = readRuntimeEnv(['PIPELINE_TABLE', 'PROMOTE_STATE_MACHINE_ARN', 'PIPELINE_CONFIG_FILE'], env);

    // Assess
    expect(read).toEqual({
      AWS_REGION: 'local',
      PIPELINE_TABLE: 'pipeline',
      PROMOTE_STATE_MACHINE_ARN: ARN,
      PIPELINE_CONFIG_FILE: 'dist/pipeline.config.json',
    });
  });

  it('when a required variable is missing, it throws naming the variable as not set', () => {
    // Prepare
    const env = { AWS_REGION: 'eu-west-1' };

    // Act
    const error = configErrorThrownBy(() => readRuntimeEnv(['PIPELINE_TABLE'], env));

    // Assess
    expect(error.file).toBe('the function environment');
    expect(error.message).toContain('invalid variables');
    expect(error.problems).toEqual(['PIPELINE_TABLE: is not set']);
  });

  it('when another function’s variable is missing, it does not block this one', () => {
    // Prepare
    const env = { PIPELINE_TABLE: 'pipeline' };

    // Act
    const read = readRuntimeEnv(['PIPELINE_TABLE'], env);

    // Assess
    expect(read).toEqual({ AWS_REGION: 'local', PIPELINE_TABLE: 'pipeline' });
  });

  it('when a variable is set to an invalid value, it rejects it naming the variable', () => {
    // Prepare
    const env = { PIPELINE_TABLE: 'pipeline', PROMOTE_STATE_MACHINE_ARN: 'promote' };

    // Act
    const error = configErrorThrownBy(() =>
      readRuntimeEnv(['PIPELINE_TABLE', 'PROMOTE_STATE_MACHINE_ARN'], env),
    );

    // Assess
    expect(error.problems).toHaveLength(1);
    expect(error.problems).toEqual(['PROMOTE_STATE_MACHINE_ARN: must be a state machine ARN']);
  });

  it('when the approval base URL is empty it is absent, and another scheme than http(s) is refused', () => {
    // Prepare
    const empty = { APPROVAL_BASE_URL: '', APPROVAL_SES_CONFIGURATION_SET: '' };
    const ftp = { APPROVAL_BASE_URL: 'ftp://approvals.example.com' };
    const notUrl = { APPROVAL_BASE_URL: 'approvals.example.com' };

    // Act
    const read = readRuntimeEnv(['APPROVAL_BASE_URL', 'APPROVAL_SES_CONFIGURATION_SET'], empty);
    const ftpError = configErrorThrownBy(() => readRuntimeEnv(['APPROVAL_BASE_URL'], ftp));
    const notUrlError = configErrorThrownBy(() => readRuntimeEnv(['APPROVAL_BASE_URL'], notUrl));

    // Assess
    expect(read).toEqual({ AWS_REGION: 'local' });
    expect(ftpError.problems).toEqual(['APPROVAL_BASE_URL: must be an http(s) URL']);
    expect(notUrlError.problems).toEqual(['APPROVAL_BASE_URL: must be an http(s) URL']);
  });

  it('when several variables are wrong, it names each, empty ones as not set', () => {
    // Prepare
    const env = { PIPELINE_TABLE: '', NOTIFICATION_TOPIC_ARN: 'topic', APPROVAL_EMAIL_FROM: 'a' };

    // Act
    const error = configErrorThrownBy(() =>
      readRuntimeEnv(['PIPELINE_TABLE', 'NOTIFICATION_TOPIC_ARN', 'APPROVAL_EMAIL_FROM'], env),
    );

    // Assess
    expect(error.problems).toEqual([
      'PIPELINE_TABLE: is not set',
      'NOTIFICATION_TOPIC_ARN: must be an SNS topic ARN',
      'APPROVAL_EMAIL_FROM: must be 3 to 320 characters long',
    ]);
  });
});
