import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { toHttpApiEvent } from '../../local-runtime/http/api-gateway-bridge';

/** A request as Node's HTTP server hands it over: a readable body with a method, URL and headers. */
function request(body: string, url = '/webhooks/github?x=1'): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(body)]), {
    method: 'POST',
    url,
    headers: { host: '127.0.0.1:4000', 'content-type': 'application/json' },
    socket: { remoteAddress: '127.0.0.1' },
  }) as unknown as IncomingMessage;
}

describe('toHttpApiEvent', () => {
  it('stamps the request with the stack’s time, not the wall clock’s', async () => {
    // Prepare
    const stackTime = Date.parse('2031-05-06T07:08:09Z');

    // Act
    const event = await toHttpApiEvent(request('{}'), stackTime, { routeKey: 'POST /webhooks/github' });

    // Assess
    if ('tooLarge' in event) throw new Error('a 2-byte body is not too large');
    expect(event.requestContext.timeEpoch).toBe(stackTime);
    expect(event.requestContext.time).toBe('Tue, 06 May 2031 07:08:09 GMT');
  });

  it('gives the handler the body base64-encoded and the query string split, as API Gateway does', async () => {
    // Act
    const event = await toHttpApiEvent(request('{"a":1}'), 0, { routeKey: 'POST /webhooks/github' });

    // Assess
    if ('tooLarge' in event) throw new Error('a small body is not too large');
    expect(Buffer.from(event.body!, 'base64').toString()).toBe('{"a":1}');
    expect(event.isBase64Encoded).toBe(true);
    expect(event.queryStringParameters).toEqual({ x: '1' });
    expect(event.rawPath).toBe('/webhooks/github');
  });
});
