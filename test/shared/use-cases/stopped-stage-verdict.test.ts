import {
  stoppedStageVerdict,
  releasesLockOnFailure,
  ROLLBACK_FAILED,
  StageFailedError,
} from '../../../shared/use-cases/stop-stage';

const smokeFailure = {
  Error: 'SmokeTestFailed',
  Cause: JSON.stringify({
    errorType: 'SmokeTestFailed',
    errorMessage: '1 of 2 smoke checks failed',
    trace: [],
  }),
};

describe('stoppedStageVerdict (the "Stop the stage" step)', () => {
  it('when the stage was rolled back and nobody redrove since, it fails with the original error and the rollback summary', () => {
    // Act
    const act = () =>
      stoppedStageVerdict(
        {
          failure: smokeFailure,
          failedAt: { redriveCount: 0 },
          rollback: { summary: 'SmokeTestFailed: … rolled back' },
        },
        0,
      );

    // Assess
    expect(act).toThrow(StageFailedError);
    expect(act).toThrow(
      expect.objectContaining({ name: 'SmokeTestFailed', message: 'SmokeTestFailed: … rolled back' }),
    );
  });

  it('when the rollback failed, it fails with RollbackFailed and says what to do', () => {
    // Act
    const act = () =>
      stoppedStageVerdict(
        {
          failure: smokeFailure,
          failedAt: { redriveCount: 1 },
          rollbackFailure: { Error: 'States.Timeout', Cause: 'Task timed out' },
        },
        1,
      );

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: ROLLBACK_FAILED }));
    expect(act).toThrow(
      /SmokeTestFailed and then the rollback failed: States.Timeout: Task timed out.*redrive/,
    );
  });

  it('when the execution was redriven after a rollback, it resumes from the deploy', () => {
    // Act
    const resume = stoppedStageVerdict(
      { failure: smokeFailure, failedAt: { redriveCount: 0 }, rollback: { summary: 's' } },
      1,
    );

    // Assess
    expect(resume).toEqual({
      resumeFrom: 'deploy',
      reason: expect.stringContaining('deploying the stage again'),
    });
  });

  it('when the execution was redriven after a failed rollback, it resumes from the rollback', () => {
    // Act
    const resume = stoppedStageVerdict(
      {
        failure: smokeFailure,
        failedAt: { redriveCount: 2 },
        rollbackFailure: { Error: 'Lambda.ServiceException' },
      },
      3,
    );

    // Assess
    expect(resume.resumeFrom).toBe('rollback');
  });

  it('when the stage was rolled back, it frees the environment for the next deployment', () => {
    expect(releasesLockOnFailure({})).toBe(true);
  });

  it('when the rollback failed (the service may still run or roll out the failed revision), it keeps the lock', () => {
    expect(
      releasesLockOnFailure({ rollbackFailure: { Error: 'States.Timeout', Cause: 'Task timed out' } }),
    ).toBe(false);
  });
});

describe('stoppedStageVerdict with an error "Stop the stage" would retry', () => {
  it('when the stage failed on a Lambda service error, it fails as RetriesExhausted (not retried again), naming the original', () => {
    // Act
    const act = () =>
      stoppedStageVerdict(
        {
          failure: { Error: 'Lambda.TooManyRequestsException', Cause: 'Rate Exceeded.' },
          failedAt: { redriveCount: 0 },
          rollback: { summary: 'Lambda.TooManyRequestsException: Rate Exceeded. (nothing to roll back)' },
        },
        0,
      );

    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        name: 'RetriesExhausted',
        message: 'Lambda.TooManyRequestsException: Rate Exceeded. (nothing to roll back)',
      }),
    );
  });

  it('when the stage failed because AWS stayed throttled, it fails as RetriesExhausted, so the verdict is not retried and notified again', () => {
    // Act
    const act = () =>
      stoppedStageVerdict(
        {
          failure: { Error: 'AwsTransientError', Cause: 'ECS UpdateService throttled' },
          failedAt: { redriveCount: 0 },
          rollback: {
            summary: 'AwsTransientError: ECS UpdateService throttled (rolled back: restored orders-api:2)',
          },
        },
        0,
      );

    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        name: 'RetriesExhausted',
        message: 'AwsTransientError: ECS UpdateService throttled (rolled back: restored orders-api:2)',
      }),
    );
  });
});
