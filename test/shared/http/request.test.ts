import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readForm } from '../../../shared/http/form';
import { isCrossSite, originOf } from '../../../shared/http/origin';
import { clientOf, headerOf, methodOf, singleValuedQuery } from '../../../shared/http/request';

function request(parts: Record<string, unknown>): APIGatewayProxyEventV2 {
  return parts as unknown as APIGatewayProxyEventV2;
}

const FORM = { fields: ['formToken', 'comment'] as const, maxBytes: 64, maxFields: 3 };
const formPost = (body: string, extra: Record<string, unknown> = {}) =>
  request({
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    ...extra,
  });

describe('reading HTTP requests', () => {
  it('when parts of the event are missing or mistyped, every accessor answers undefined instead of throwing', () => {
    // Prepare
    const broken = [
      {},
      { requestContext: null, headers: null },
      { requestContext: { http: { method: 7 } }, headers: 'x' },
    ];

    // Act
    const read = broken.map((e) => [methodOf(request(e)), headerOf(request(e), 'content-type')]);

    // Assess
    expect(read).toEqual([
      [undefined, undefined],
      [undefined, undefined],
      [undefined, undefined],
    ]);
    expect(headerOf(request({ headers: { toString: 'x' } }), 'constructor')).toBeUndefined();
  });

  it('when a query names a parameter twice or is too long, it is refused; otherwise each named one is read once', () => {
    // Act
    const once = singleValuedQuery(request({ rawQueryString: 'a=1&b=%3Cx%3E&c=3' }), ['a', 'b', 'z'], 100);
    const twice = singleValuedQuery(request({ rawQueryString: 'a=1&a=2' }), ['a'], 100);
    const long = singleValuedQuery(request({ rawQueryString: `a=${'x'.repeat(100)}` }), ['a'], 100);

    // Assess
    expect(once).toEqual({ a: '1', b: '<x>', z: undefined });
    expect(twice).toBeUndefined();
    expect(long).toBeUndefined();
  });

  it('when the client is described, source IP and user agent are bounded and empty ones left out', () => {
    // Act
    const client = clientOf(
      request({
        requestContext: { http: { sourceIp: '203.0.113.7' } },
        headers: { 'user-agent': 'u'.repeat(600) },
      }),
    );
    const none = clientOf(
      request({ requestContext: { http: { sourceIp: '' } }, headers: { 'user-agent': '' } }),
    );

    // Assess
    expect(client).toEqual({ sourceIp: '203.0.113.7', userAgent: 'u'.repeat(512) });
    expect(none).toEqual({});
  });

  describe('forms', () => {
    it('when a url-encoded form arrives, plain or base64, its named fields are read', () => {
      // Act
      const plain = readForm(formPost('formToken=t&comment=a+b%21'), FORM);
      const base64 = readForm(
        formPost(Buffer.from('formToken=t').toString('base64'), { isBase64Encoded: true }),
        FORM,
      );

      // Assess
      expect(plain).toEqual({ ok: true, fields: { formToken: 't', comment: 'a b!' } });
      expect(base64).toEqual({ ok: true, fields: { formToken: 't', comment: undefined } });
    });

    it('when the body is not a form, too large, has too many fields or a field twice, it says which', () => {
      // Act
      const problems = [
        readForm(request({ headers: { 'content-type': 'application/json' }, body: '{}' }), FORM),
        readForm(request({ headers: null, body: 'formToken=t' }), FORM),
        readForm(formPost(`comment=${'x'.repeat(200)}`), FORM),
        readForm(formPost(`comment=${'é'.repeat(40)}`), FORM),
        readForm(formPost('a=1&b=2&c=3&d=4'), FORM),
        readForm(formPost('formToken=a&formToken=b'), FORM),
      ].map((r) => (r.ok ? 'ok' : r.problem));

      // Assess
      expect(problems).toEqual([
        'unsupported-media-type',
        'unsupported-media-type',
        'too-large',
        'too-large',
        'malformed',
        'malformed',
      ]);
    });

    it('when a base64 form has no body at all, it reads as an empty form', () => {
      // Act
      const read = readForm(
        request({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, isBase64Encoded: true }),
        FORM,
      );

      // Assess
      expect(read).toEqual({ ok: true, fields: { formToken: undefined, comment: undefined } });
    });
  });

  describe('cross-site posts', () => {
    const from = (headers: Record<string, string>) => request({ headers });

    it('when the browser says cross-site or the Origin is another one, the post is cross-site; null and the own origin are not', () => {
      // Prepare
      const expected = originOf('https://approvals.example.com/approvals/');

      // Act
      const verdicts = [
        isCrossSite(from({ 'sec-fetch-site': 'Cross-Site' }), expected),
        isCrossSite(from({ origin: 'https://evil.example' }), expected),
        isCrossSite(from({ origin: 'null' }), expected),
        isCrossSite(
          from({ origin: 'https://approvals.example.com', 'sec-fetch-site': 'same-origin' }),
          expected,
        ),
        isCrossSite(from({ origin: 'https://evil.example' }), undefined),
      ];

      // Assess
      expect(expected).toBe('https://approvals.example.com');
      expect(verdicts).toEqual([true, true, false, false, false]);
      expect(originOf('not a url')).toBeUndefined();
    });
  });
});
