/** Small helpers for the CLI's human output: aligned tables and durations. */

export function table(rows: string[][], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

/** `1h 02m`, `5m 00s`, `42s`, `350ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function shortSha(value: string): string {
  return value.replace(/^sha256:/, '').slice(0, 12);
}

/** `sha-<40 hex>` → `sha-<12 hex>`; release versions unchanged. */
export function shortVersion(version: string): string {
  return /^sha-[0-9a-f]{13,}$/.test(version) ? version.slice(0, 16) : version;
}
