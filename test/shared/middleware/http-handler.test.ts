import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpHandler, httpRoute, type HttpAnswer } from '../../../shared/middleware/http-handler';
import { logger } from '../../../shared/middleware/lambda-step';
import { headerOf } from '../../../shared/http/request';
import { fakeLambdaContext } from '../../support/fakes';

type Outcome = 'ok' | 'refused' | 'failed';

const FIXED = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
const FAILURE = { body: 'something went wrong', outcome: 'failed' as const, logMessage: 'test route failed' };

function event(method: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return { requestContext: { http: { method } }, headers } as unknown as APIGatewayProxyEventV2;
}

describe('the HTTP route stack', () => {
  let errors: jest.SpyInstance;
  let outcomes: Outcome[];

  beforeEach(() => {
    errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    outcomes = [];
  });

  afterEach(() => jest.restoreAllMocks());

  const route = (answer: (e: APIGatewayProxyEventV2) => Promise<HttpAnswer<Outcome>>, headLikeGet = false) =>
    httpRoute<Outcome>(
      { headers: FIXED, failure: FAILURE, onOutcome: (o) => outcomes.push(o), headLikeGet },
      answer,
    );

  it('when the route answers, it adds the fixed headers, keeps its own in lower case and reports the outcome', async () => {
    // Prepare
    const answer = route(async () => ({
      statusCode: 405,
      headers: { Allow: 'POST', 'Content-Type': 'application/evil' },
      body: 'no',
      outcome: 'refused',
    }));

    // Act
    const response = await answer(event('PUT'));

    // Assess
    expect(response).toEqual({ statusCode: 405, headers: { ...FIXED, allow: 'POST' }, body: 'no' });
    expect(outcomes).toEqual(['refused']);
  });

  it('when a client sends headers in any case, the route reads them in lower case and the caller keeps its event', async () => {
    // Prepare
    let seen: string | undefined;
    const answer = route(async (e) => {
      seen = headerOf(e, 'content-type');
      return { statusCode: 200, headers: {}, body: 'ok', outcome: 'ok' };
    });
    const original = event('POST', { 'Content-Type': 'application/x-www-form-urlencoded' });
    const before = structuredClone(original);

    // Act
    await answer(original);

    // Assess
    expect(seen).toBe('application/x-www-form-urlencoded');
    expect(original).toEqual(before);
  });

  it('when the route throws, it answers the fixed 500 without the message, logs the error once and reports the failure', async () => {
    // Prepare
    const answer = route(async () => {
      throw new TypeError('secret detail at line 2');
    });

    // Act
    const response = await answer(event('GET'));

    // Assess
    expect(response).toEqual({ statusCode: 500, headers: FIXED, body: FAILURE.body });
    expect(JSON.stringify(response)).not.toContain('secret detail');
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledWith('test route failed', {
      errorName: 'TypeError',
      errorMessage: 'secret detail at line 2',
    });
    expect(outcomes).toEqual(['failed']);
  });

  it('when the thrown error carries a 4xx status, it still answers the fixed 500 and exposes nothing', async () => {
    // Prepare
    const answer = route(async () => {
      throw Object.assign(new Error('internal path /var/task/x.js'), { statusCode: 400, expose: true });
    });

    // Act
    const response = await answer(event('GET'));

    // Assess
    expect(response).toEqual({ statusCode: 500, headers: FIXED, body: FAILURE.body });
  });

  it('when the event is not an object, the route still runs and answers', async () => {
    // Prepare
    const answer = route(async (e) => ({
      statusCode: 400,
      headers: {},
      body: `method ${String(e.requestContext?.http?.method)}`,
      outcome: 'refused',
    }));

    // Act
    const responses = await Promise.all([null, 'text', 42].map((e) => answer(e as never)));

    // Assess
    expect(responses.map((r) => [r.statusCode, r.body])).toEqual([
      [400, 'method undefined'],
      [400, 'method undefined'],
      [400, 'method undefined'],
    ]);
  });

  it('when HEAD is served like GET, its answers and its failures carry the headers only', async () => {
    // Prepare
    const ok = route(async () => ({ statusCode: 200, headers: {}, body: 'page', outcome: 'ok' }), true);
    const broken = route(async () => {
      throw new Error('bug');
    }, true);

    // Act
    const [head, get, failedHead] = [
      await ok(event('HEAD')),
      await ok(event('GET')),
      await broken(event('HEAD')),
    ];

    // Assess
    expect(head).toEqual({ statusCode: 200, headers: FIXED, body: '' });
    expect(get.body).toBe('page');
    expect(failedHead).toEqual({ statusCode: 500, headers: FIXED, body: '' });
  });

  describe('as a Lambda handler', () => {
    it("when invoked by Lambda, it answers the route's response unchanged, building the route once", async () => {
      // Prepare
      let built = 0;
      const handler = httpHandler('test-route', () => {
        built++;
        return route(async () => ({ statusCode: 202, headers: {}, body: 'queued', outcome: 'ok' }));
      });

      // Act
      const responses = [
        await handler(event('POST'), fakeLambdaContext('test-route')),
        await handler(event('POST'), fakeLambdaContext('test-route')),
      ];

      // Assess
      expect(responses).toEqual([
        { statusCode: 202, headers: FIXED, body: 'queued' },
        { statusCode: 202, headers: FIXED, body: 'queued' },
      ]);
      expect(built).toBe(1);
    });

    it('when the route cannot be built (a missing variable), the invocation fails with the error, logged by name', async () => {
      // Prepare
      const handler = httpHandler('test-route', () => {
        throw new RangeError('TEST_VARIABLE: is not set');
      });

      // Act
      const failure = await handler(event('GET'), fakeLambdaContext('test-route')).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(RangeError);
      expect(errors).toHaveBeenCalledWith('test-route failed: RangeError', {
        errorName: 'RangeError',
        errorMessage: 'TEST_VARIABLE: is not set',
      });
    });
  });
});
