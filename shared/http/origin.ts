import { headerOf, type HttpRequest } from './request';

/** The origin (`https://host[:port]`) of a configured base URL; undefined when unset or not a URL. */
export function originOf(baseUrl: string | undefined): string | undefined {
  if (baseUrl === undefined) return undefined;
  try {
    return new URL(baseUrl).origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether a state-changing request came from another site. Browsers mark one `Sec-Fetch-Site: cross-site`
 * and name the sending page's origin in `Origin` (`null` when the referrer policy hides it, as the
 * approval pages' does, so `null` is not refused). Without an expected origin only the first test applies.
 */
export function isCrossSite(request: HttpRequest, expectedOrigin: string | undefined): boolean {
  if (headerOf(request, 'sec-fetch-site')?.toLowerCase() === 'cross-site') return true;
  const origin = headerOf(request, 'origin');
  return (
    expectedOrigin !== undefined && origin !== undefined && origin !== 'null' && origin !== expectedOrigin
  );
}
