/**
 * A count as the reasons and messages write it, with thousands separators: `formatCount(12345)` is
 * `12,345`. Not `Intl.NumberFormat`: creating one starts ICU, 20–25 ms of a cold start when it is built as
 * a module loads (docs/cold-start.md), and a count needs no locale.
 */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = String(Math.abs(Math.round(value)));
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return value < 0 && grouped !== '0' ? `-${grouped}` : grouped;
}
