import { join } from 'node:path';

/**
 * Where test/cli/demo-command.test.ts writes how long its non-interactive demo took (wall time, s, and the
 * exit code): `bench/local-stack.ts --quick` prints it instead of playing the same demo once more.
 */
export const DEMO_WALL_TIME_FILE = join(__dirname, '..', '..', 'test-output', 'demo-wall-time.json');
