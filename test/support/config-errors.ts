/**
 * What a test of a refused configuration reads: the ConfigError itself, or its problems. A configuration
 * that is accepted, or an error of another kind, fails the test there.
 */
import { ConfigError } from '../../shared/config/config-error';
import { parseConfig } from '../../shared/config/config.loader';

/** The ConfigError that `read` throws; `what` names what should have been rejected. */
export function configErrorThrownBy(read: () => unknown, what = 'the configuration'): ConfigError {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${what} to be rejected`);
}

/** The problems parsing `text` (as `file`) reports, one a line. */
export function configProblemsOf(text: string, file: string): string[] {
  return configErrorThrownBy(() => parseConfig(text, file)).problems;
}
