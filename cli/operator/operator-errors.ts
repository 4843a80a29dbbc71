import { AwsTransientError, PipelineMisconfiguredError } from '../../shared/domain/errors';

/**
 * The pipeline could not be reached or read: AWS refused or failed the call (credentials, permissions,
 * throttling, a wrong stage or region), or the local stack is not running. Exit code 3.
 */
export class OperatorUnavailableError extends Error {
  override readonly name = 'OperatorUnavailable';
}

/**
 * Wraps an operator command: its result is the exit code (0 when it returns nothing), and failures to
 * reach the pipeline become one line that says what to check.
 */
export function operatorCommand(
  run: (args: string[], out: (text: string) => void) => Promise<number | void>,
): (args: string[], out: (text: string) => void) => Promise<number> {
  return async (args, out) => {
    try {
      return (await run(args, out)) ?? 0;
    } catch (error) {
      throw unavailable(error) ?? error;
    }
  };
}

function unavailable(error: unknown): OperatorUnavailableError | undefined {
  if (!(error instanceof Error)) return undefined;
  // Connection refused: nothing listens there, which in practice means the local stack is not running.
  if (/ECONNREFUSED/.test(`${error.message} ${String(error.cause ?? '')}`))
    return new OperatorUnavailableError(
      'the local stack does not answer (connection refused): start it with `pipeline local`, or give its --url',
    );
  if (error instanceof AwsTransientError)
    return new OperatorUnavailableError(
      `${error.message}: AWS is busy or unreachable; try again in a minute`,
    );
  if (error instanceof PipelineMisconfiguredError) return new OperatorUnavailableError(error.message);
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  if (metadata !== undefined || error.name === 'CredentialsProviderError')
    return new OperatorUnavailableError(
      `${error.name}: ${error.message} (check your credentials, --profile, --region and --stage)`,
    );
  return undefined;
}
