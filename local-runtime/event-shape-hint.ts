/**
 * What to do with a JSON object that is not an EventBridge event but a shape people mistake for one: an API
 * Gateway request (the samples `events/github-*.json` are GitHub webhook deliveries as API Gateway passes
 * them) or a PutEvents request. Empty when it looks like neither.
 */
export function eventShapeHint(value: unknown, where: 'simulate' | 'events'): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return '';
  const record = value as Record<string, unknown>;
  if (typeof record.routeKey === 'string' || typeof record.rawPath === 'string')
    return (
      ' (this is an HTTP request as API Gateway passes it, such as a GitHub webhook delivery: ' +
      'POST its body, signed, to /webhooks/github of pipeline local; docs/git-tags.md)'
    );
  if (where === 'simulate' && 'Entries' in record)
    return ' (this is a PutEvents request: give each entry as an event of its own, or POST it to /events of pipeline local)';
  return '';
}
