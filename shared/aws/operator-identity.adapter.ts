import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mapAwsError } from './aws-errors';

export interface OperatorIdentity {
  /** The caller's ARN, for the audit trail. */
  arn: string;
  /**
   * The name approvals compare with their approver list: the role session name of an assumed role (SSO
   * sessions are named after the person's email), or the IAM user name.
   */
  name: string;
}

/** Who runs the CLI, from STS GetCallerIdentity. */
export async function awsOperatorIdentity(client: STSClient): Promise<OperatorIdentity> {
  try {
    const { Arn } = await client.send(new GetCallerIdentityCommand({}));
    const arn = Arn ?? 'unknown';
    return { arn, name: nameOf(arn) };
  } catch (error) {
    throw mapAwsError(error, 'STS GetCallerIdentity (who is running the CLI)');
  }
}

/** `arn:aws:sts::1:assumed-role/Role/alice@example.com` → `alice@example.com`; `…:user/ops/bob` → `bob`. */
export function nameOf(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  if (resource.startsWith('assumed-role/')) return resource.split('/')[2] ?? arn;
  if (resource.startsWith('user/')) return resource.split('/').at(-1) ?? arn;
  return arn;
}
