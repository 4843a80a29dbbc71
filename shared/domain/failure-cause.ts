/**
 * Step Functions reports a Lambda error's cause as Lambda's JSON (`{"errorType","errorMessage","trace"}`)
 * and a States.* error's as plain text. Operators want the message either way.
 */
export function readableCause(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: already plain text
  }
  return cause;
}
