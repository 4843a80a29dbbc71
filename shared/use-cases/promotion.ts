/** A Step Functions execution name: at most 80 characters of letters, digits, `-` and `_`. */
export function executionName(...parts: string[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 80);
}
