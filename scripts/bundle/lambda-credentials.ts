/**
 * What the function bundles use in place of `@aws-sdk/credential-provider-node` (scripts/build-functions.ts
 * swaps it in). The SDK's default chain tries the environment, then SSO, INI files, credential_process, web
 * identity tokens, the container endpoint and IMDS, and bundling it carries all of them. Lambda always
 * passes the function role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), so the bundles keep only that link of the chain. The exports mirror the package's.
 * A client given `credentials` explicitly (as tests may do) never calls this.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export const defaultProvider =
  (init: Parameters<typeof fromEnv>[0] = {}): AwsCredentialIdentityProvider =>
  async () => {
    try {
      return await fromEnv(init)();
    } catch {
      throw Object.assign(
        new Error(
          'No AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): the ' +
            'function bundles read credentials only from there, as Lambda passes them; set both to run a bundle elsewhere',
        ),
        { name: 'CredentialsProviderError', tryNextLink: false },
      );
    }
  };

export const credentialsWillNeedRefresh = (credentials: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined;

export const credentialsTreatedAsExpired = (credentials: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
