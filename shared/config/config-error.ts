/** A pipeline configuration that cannot be used. The message names the file, the path inside it and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly file: string,
    readonly problems: string[],
    what = 'pipeline configuration',
  ) {
    super(`${file}: invalid ${what}\n  ${problems.join('\n  ')}`);
  }
}
