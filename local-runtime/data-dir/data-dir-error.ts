/**
 * A data directory that cannot be used (a file, not writable, in use, a damaged or foreign state file).
 * The message says what, which file and how to fix it; the CLI prints it as one line and exits 2.
 */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}
