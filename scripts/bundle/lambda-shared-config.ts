/**
 * What the function bundles use in place of the SDK's `fromSharedConfigFiles` (scripts/build-functions.ts
 * swaps it in). Every SDK client setting (region, endpoint, retry mode, FIPS, checksums, user agent app id…)
 * is looked up in the environment, then in the profile of ~/.aws/config and ~/.aws/credentials, then
 * defaulted; the first request of a client reads and parses both files for that middle link. A Lambda
 * function has no such files (its configuration is its environment: AWS_REGION, AWS_ENDPOINT_URL…), so
 * that link always came up empty, after a file read. Here it comes up empty at once: the chain goes on to
 * the default, as it did when the files were missing. The environment link is the SDK's own and unchanged.
 */
import type { Provider } from '@smithy/types';

export const fromSharedConfigFiles =
  <T>(_selector: unknown, _init?: unknown): Provider<T> =>
  async () => {
    throw Object.assign(
      new Error(
        'the function bundles read no shared config files (~/.aws): the value comes from the default',
      ),
      // The chain (property-provider's `chain`) tries its next link, the default, on such an error.
      { name: 'CredentialsProviderError', tryNextLink: true },
    );
  };
