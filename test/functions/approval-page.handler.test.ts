import {
  approvalPageEnvironment,
  createApprovalPage,
  SECURITY_HEADERS,
} from '../../functions/approval-page/handler';
import type { ApprovalRecord } from '../../shared/approvals/approval';
import { formToken, linkSignature, type LinkFields } from '../../shared/approvals/links/signing';
import { ConfigError } from '../../shared/config/config-error';
import { AwsTransientError } from '../../shared/domain/errors';
import { logger } from '../../shared/middleware/lambda-step';
import { invokeThroughMiddleware } from '../support/fakes';
import { ALICE, BOB, CAROL, GoneExecutionControl, TOKEN } from '../shared/approvals/approval-fixtures';
import {
  HOUR,
  KEY,
  OLD_KEY,
  OTHER_KEY,
  PageWorld,
  SOURCE_IP,
  USER_AGENT,
  formBody,
  getLink,
  linkQuery,
  pageEvent,
  postLink,
} from '../shared/approvals/links/approval-page-requests';

const DAVE = 'dave@example.com';

describe('approval-page handler', () => {
  let world: PageWorld;
  let approvalId: string;
  let logged: jest.SpyInstance[];

  beforeEach(async () => {
    world = new PageWorld();
    approvalId = await world.requested();
    logged = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(logger, level).mockImplementation(() => undefined),
    );
  });

  afterEach(() => jest.restoreAllMocks());

  const record = async (id = approvalId): Promise<ApprovalRecord> => {
    const found = await world.store.get(id);
    if (!found) throw new Error(`no approval ${id}`);
    return found;
  };
  const logText = () =>
    logged
      .flatMap((spy) => spy.mock.calls)
      .map((args) => JSON.stringify(args))
      .join('\n');
  /** Nothing secret in what the client or the log sees. */
  const expectNoSecrets = (body: string, fields: LinkFields) => {
    const exposed = `${body}\n${logText()}`;
    expect(exposed).not.toContain(TOKEN);
    expect(exposed).not.toContain(linkSignature(fields, KEY));
  };

  describe('GET: the confirmation page', () => {
    it('when an approver opens an approve link, it shows what ships and one approve button, with every security header', async () => {
      // Prepare
      await world.clock.advance(HOUR);
      const link = await world.linkFor(approvalId, ALICE, 'approve');

      // Act
      const response = await world.page(getLink(link));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers).toEqual(SECURITY_HEADERS);
      expect(response.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      const body = response.body;
      expect(body).toContain(
        '<button type="submit" class="approve">Approve v1.4.0 for production/eu-west-1</button>',
      );
      expect(body.match(/<button/g)).toHaveLength(1);
      expect(body.match(/<form method="post">/g)).toHaveLength(1);
      expect(body).not.toMatch(/<form[^>]*action=/);
      for (const shown of [
        'orders-api',
        'v1.4.0',
        `sha256:${'ab'.repeat(32)}`,
        '0123456789abcdef0123456789abcdef01234567',
        'production',
        'eu-west-1',
        ALICE,
        BOB,
        CAROL,
        '2026-03-03 09:00 UTC',
        '23 h left',
      ])
        expect(body).toContain(shown);
      expect(body).toContain('What earlier stages showed');
      expect(body).toContain('&quot;smoke&quot;: &quot;passed&quot;');
      expect(body).toContain(`name="formToken" value="${formToken(link, KEY)}"`);
      expect(body).not.toContain('<textarea');
      expectNoSecrets(body, link);
    });

    it('when an approver opens a reject link, it shows one reject button and an optional reason', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, BOB, 'reject');

      // Act
      const response = await world.page(getLink(link));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('Reject v1.4.0 for production/eu-west-1</button>');
      expect(response.body).toContain(
        '<textarea id="comment" name="comment" rows="4" cols="60" maxlength="1000">',
      );
      expect(response.body.match(/<button/g)).toHaveLength(1);
    });

    it('when a HEAD request arrives for a link, it answers the GET status and headers with an empty body', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, ALICE, 'approve');

      // Act
      const response = await world.page({
        ...getLink(link),
        requestContext: {
          ...getLink(link).requestContext,
          http: { ...getLink(link).requestContext.http, method: 'HEAD' },
        },
      });

      // Assess
      expect(response).toEqual({ statusCode: 200, headers: SECURITY_HEADERS, body: '' });
    });

    it('when every link of every approver is opened with GET and HEAD, the approval stays pending with nothing recorded', async () => {
      // Prepare
      const before = await record();
      const links: LinkFields[] = [];
      for (const approver of [ALICE, BOB, CAROL, DAVE])
        for (const action of ['approve', 'reject'] as const)
          links.push(await world.linkFor(approvalId, approver, action));
      const events = links.flatMap((link) => [
        getLink(link),
        {
          ...getLink(link),
          requestContext: {
            ...getLink(link).requestContext,
            http: { ...getLink(link).requestContext.http, method: 'HEAD' },
          },
        },
      ]);
      world.store.calls.length = 0;

      // Act
      const statuses: number[] = [];
      for (const event of events) statuses.push((await world.page(event)).statusCode);
      await world.clock.advance(25 * HOUR);
      for (const event of events) statuses.push((await world.page(event)).statusCode);

      // Assess
      expect(statuses.slice(0, 16)).toEqual([
        200, 200, 200, 200, 200, 200, 200, 200, 403, 403, 200, 200, 403, 403, 403, 403,
      ]);
      expect(new Set(statuses.slice(16))).toEqual(new Set([410]));
      expect(await record()).toEqual(before);
      expect(world.store.calls).toEqual([]);
      expect(world.executions.deliveries).toEqual([]);
    });

    it('when the link is for an address not on the approver list, it says not allowed and shows no button', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, DAVE, 'approve');

      // Act
      const response = await world.page(getLink(link));

      // Assess
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('not on the approver list');
      expect(response.body).not.toContain('<button');
    });

    it('when the approval was already decided, the GET shows by whom and when, without a button', async () => {
      // Prepare
      await world.page(postLink(await world.linkFor(approvalId, ALICE, 'approve')));
      const link = await world.linkFor(approvalId, BOB, 'reject');

      // Act
      const response = await world.page(getLink(link));

      // Assess
      expect(response.statusCode).toBe(409);
      expect(response.body).toContain(`already approved by ${ALICE} at 2026-03-02 09:00 UTC`);
      expect(response.body).not.toContain('<button');
    });

    it('when the link was signed with another key, it shows "invalid link" only', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, ALICE, 'approve');

      // Act
      const response = await world.page(getLink(link, OTHER_KEY));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('<h1>Invalid link</h1>');
      expect(response.body).not.toContain('orders-api');
      expect(logText()).toContain('bad-signature');
    });
  });

  describe('POST: deciding', () => {
    it('when an approver presses approve and one approval is needed, it resumes the execution and says approved', async () => {
      // Prepare
      await world.clock.advance(HOUR);
      const link = await world.linkFor(approvalId, ALICE, 'approve');

      // Act
      const response = await world.page(postLink(link));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers).toEqual(SECURITY_HEADERS);
      expect(response.body).toContain('<h1>Approved</h1>');
      expect(response.body).toContain(`approved by ${ALICE} at 2026-03-02 10:00 UTC`);
      expect(world.executions.deliveries).toEqual([
        expect.objectContaining({ taskToken: TOKEN, kind: 'success' }),
      ]);
      expect((await record()).decisions).toEqual([
        {
          approver: ALICE,
          decision: 'approve',
          at: world.clock.now(),
          sourceIp: SOURCE_IP,
          userAgent: USER_AGENT,
        },
      ]);
      expectNoSecrets(response.body, link);
    });

    it('when two approvals are needed, the first approval shows "1 of 2" and the execution keeps waiting', async () => {
      // Prepare
      const id = await world.requested({
        minApprovals: 2,
        executionName: 'tag-orders-api-v1.4.0-two',
        taskToken: 'token-two',
      });

      // Act
      const response = await world.page(postLink(await world.linkFor(id, BOB, 'approve')));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<h1>Approval recorded</h1>');
      expect(response.body).toContain('1 of 2');
      expect(world.executions.deliveries).toEqual([]);
    });

    it('when an approver rejects with a reason full of HTML, it fails the execution and shows the reason escaped', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, BOB, 'reject');
      const reason = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';

      // Act
      const response = await world.page(postLink(link, { comment: reason }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<h1>Rejected</h1>');
      expect(response.body).toContain(
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;',
      );
      expect(response.body).not.toContain('<script');
      expect(response.body).not.toContain('<img');
      expect(world.executions.deliveries).toEqual([
        expect.objectContaining({ kind: 'failure', cause: expect.stringContaining(`rejected by ${BOB}`) }),
      ]);
    });

    it('when a second approver presses after the first decided, it says already decided by whom and when and records one refusal', async () => {
      // Prepare
      await world.page(postLink(await world.linkFor(approvalId, ALICE, 'approve')));
      await world.clock.advance(HOUR);

      // Act
      const response = await world.page(postLink(await world.linkFor(approvalId, BOB, 'approve')));

      // Assess
      expect(response.statusCode).toBe(409);
      expect(response.body).toContain(`already approved by ${ALICE} at 2026-03-02 09:00 UTC`);
      expect((await record()).refusals).toEqual([
        {
          reason: 'already-decided',
          approverClaimed: BOB,
          at: world.clock.now(),
          sourceIp: SOURCE_IP,
          userAgent: USER_AGENT,
        },
      ]);
      expect(world.executions.deliveries).toHaveLength(1);
    });

    it('when the same button is pressed twice (replay), the second answers already decided and changes nothing', async () => {
      // Prepare
      const event = postLink(await world.linkFor(approvalId, ALICE, 'approve'));
      await world.page(event);

      // Act
      const replay = await world.page(event);

      // Assess
      expect(replay.statusCode).toBe(409);
      expect((await record()).decisions).toHaveLength(1);
      expect(world.executions.deliveries).toHaveLength(1);
    });

    it('when the approval expired before anyone decided, it says expired', async () => {
      // Prepare
      world.store.patch(approvalId, {
        status: 'expired',
        expiredReason: 'timed-out',
        closedAt: world.clock.now(),
      });

      // Act
      const response = await world.page(postLink(await world.linkFor(approvalId, ALICE, 'approve')));

      // Assess
      expect(response.statusCode).toBe(410);
      expect(response.body).toContain('<h1>Approval expired</h1>');
      expect(response.body).toContain('expired at 2026-03-03 09:00 UTC');
      expect((await record()).refusals).toMatchObject([{ reason: 'expired', approverClaimed: ALICE }]);
    });

    it('when the link itself has expired, it says "expired link" and records exactly one expired refusal', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, ALICE, 'approve');
      await world.clock.advance(24 * HOUR);

      // Act
      const response = await world.page(postLink(link));

      // Assess
      expect(response.statusCode).toBe(410);
      expect(response.body).toContain('<h1>Expired link</h1>');
      expect((await record()).refusals).toEqual([
        {
          reason: 'expired',
          approverClaimed: ALICE,
          at: world.clock.now(),
          sourceIp: SOURCE_IP,
          userAgent: USER_AGENT,
        },
      ]);
      expect((await record()).status).toBe('pending');
    });

    it('when the link address is not an approver, it says not allowed and records the refusal once', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, DAVE, 'approve');

      // Act
      const response = await world.page(postLink(link));

      // Assess
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('<h1>Not allowed</h1>');
      expect((await record()).refusals).toMatchObject([{ reason: 'not-an-approver', approverClaimed: DAVE }]);
    });

    it('when the tag creator tries to approve their own release, it says not allowed (self-approval)', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, CAROL, 'approve');

      // Act
      const response = await world.page(postLink(link));

      // Assess
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('does not allow\nself-approval');
      expect((await record()).refusals).toMatchObject([{ reason: 'self-approval' }]);
      expect((await record()).status).toBe('pending');
    });

    it('when the release was redriven and the approval superseded, it says replaced and changes nothing', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, ALICE, 'approve');
      await world.requested({ taskToken: 'token-after-redrive' });

      // Act
      const response = await world.page(postLink(link));

      // Assess
      expect(response.statusCode).toBe(410);
      expect(response.body).toContain('<h1>Approval replaced</h1>');
      expect((await record()).status).toBe('superseded');
      expect(world.executions.deliveries).toEqual([]);
    });

    it('when the execution no longer waits, it says so after recording the decision', async () => {
      // Prepare
      world = new PageWorld({ executions: new GoneExecutionControl() });
      const id = await world.requested();

      // Act
      const response = await world.page(postLink(await world.linkFor(id, ALICE, 'approve')));

      // Assess
      expect(response.statusCode).toBe(409);
      expect(response.body).toContain('<h1>Release no longer waiting</h1>');
      expect(await world.store.get(id)).toMatchObject({
        status: 'expired',
        expiredReason: 'execution-not-waiting',
      });
    });

    it('when a validly signed link names an approval that does not exist, it says not found', async () => {
      // Prepare
      const link: LinkFields = {
        approvalId: 'no-such-approval',
        approver: ALICE,
        action: 'approve',
        expires: 1_900_000_000,
      };

      // Act
      const [post, get] = [await world.page(postLink(link)), await world.page(getLink(link))];

      // Assess
      expect([post.statusCode, get.statusCode]).toEqual([404, 404]);
      expect(post.body).toContain('<h1>Approval not found</h1>');
    });

    it('when the key was rotated after the email was sent, the old link and its page still decide', async () => {
      // Prepare
      world = new PageWorld({ previousKey: OLD_KEY });
      const id = await world.requested();
      const link = await world.linkFor(id, ALICE, 'approve');
      const page = await world.page(getLink(link, OLD_KEY));
      const token = /name="formToken" value="([^"]+)"/.exec(page.body)?.[1] ?? '';

      // Act
      const response = await world.page(
        pageEvent({
          method: 'POST',
          approvalId: id,
          query: linkQuery(link, OLD_KEY),
          body: `formToken=${token}`,
        }),
      );

      // Assess
      expect(page.statusCode).toBe(200);
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<h1>Approved</h1>');
    });
  });

  describe('POST: refused before deciding', () => {
    let link: LinkFields;

    beforeEach(async () => {
      link = await world.linkFor(approvalId, ALICE, 'approve');
    });

    const expectUndecided = async () => {
      expect((await record()).decisions).toEqual([]);
      expect(world.executions.deliveries).toEqual([]);
    };

    it.each([
      [
        'the action swapped',
        (f: LinkFields) => linkQuery({ ...f, action: 'reject' }, KEY, linkSignature(f, KEY)),
      ],
      ['another approver', (f: LinkFields) => linkQuery({ ...f, approver: BOB }, KEY, linkSignature(f, KEY))],
      ['the signature cut short', (f: LinkFields) => linkQuery(f, KEY, linkSignature(f, KEY).slice(0, 40))],
      ['no signature', (f: LinkFields) => linkQuery(f).replace(/&sig=[^&]*/, '')],
      ['the approver given twice', (f: LinkFields) => `${linkQuery(f)}&approver=${encodeURIComponent(BOB)}`],
    ])('when the link has %s, it says invalid link and decides nothing', async (_name, query) => {
      // Prepare
      const event = pageEvent({ method: 'POST', approvalId, query: query(link), body: formBody(link) });

      // Act
      const response = await world.page(event);

      // Assess
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('<h1>Invalid link</h1>');
      await expectUndecided();
      expectNoSecrets(response.body, link);
      // An ambiguous query (a field given twice) is malformed, not a forgery attempt on a known approval.
      const expected =
        _name === 'the approver given twice'
          ? []
          : [{ reason: 'invalid-link', sourceIp: expect.any(String) }];
      expect((await record()).refusals).toMatchObject(expected);
    });

    it.each([
      ['missing', ''],
      ['for the other action', formBody({ ...link0(), action: 'reject' })],
      ['signed with another key', `formToken=${formToken(link0(), OTHER_KEY)}`],
      ['the link signature itself', `formToken=${linkSignature(link0(), KEY)}`],
      ['given twice', `${formBody(link0())}&${formBody(link0())}`],
    ])('when the form token is %s, it says invalid link and decides nothing', async (_name, body) => {
      // Prepare
      const event = pageEvent({ method: 'POST', approvalId, query: linkQuery(link), body });

      // Act
      const response = await world.page(event);

      // Assess
      expect(response.statusCode).toBe(400);
      await expectUndecided();
      expect(logText()).toMatch(/bad-form-token|malformed-form/);
      // A form that is missing or duplicated is malformed (nothing to audit); a wrong token is recorded.
      if (body !== '' && !body.includes('&formToken'))
        expect((await record()).refusals).toMatchObject([{ reason: 'invalid-link', approverClaimed: ALICE }]);
    });

    it('when the POST comes from another site (Sec-Fetch-Site or Origin), it is refused', async () => {
      // Prepare
      const crossSite = postLink(link);
      crossSite.headers['sec-fetch-site'] = 'cross-site';
      const otherOrigin = postLink(link);
      otherOrigin.headers.origin = 'https://evil.example';
      const hiddenOrigin = postLink(link);
      hiddenOrigin.headers.origin = 'null';
      hiddenOrigin.headers['sec-fetch-site'] = 'same-origin';

      // Act
      const responses = [await world.page(crossSite), await world.page(otherOrigin)];
      const sameOrigin = await world.page(hiddenOrigin);

      // Assess
      expect(responses.map((r) => r.statusCode)).toEqual([400, 400]);
      expect(sameOrigin.statusCode).toBe(200);
    });

    it('when the body is larger than 8 KiB, it answers 413', async () => {
      // Prepare
      const event = pageEvent({
        method: 'POST',
        approvalId,
        query: linkQuery(link),
        body: `${formBody(link)}&comment=${'x'.repeat(9000)}`,
      });

      // Act
      const response = await world.page(event);

      // Assess
      expect(response.statusCode).toBe(413);
      await expectUndecided();
    });

    it('when the body is not a form, it answers 415', async () => {
      // Prepare
      const event = pageEvent({
        method: 'POST',
        approvalId,
        query: linkQuery(link),
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });

      // Act
      const response = await world.page(event);

      // Assess
      expect(response.statusCode).toBe(415);
      await expectUndecided();
    });

    it('when the form arrives base64-encoded (as API Gateway may send it), it decides', async () => {
      // Prepare
      const event = pageEvent({
        method: 'POST',
        approvalId,
        query: linkQuery(link),
        body: formBody(link),
        base64: true,
      });

      // Act
      const response = await world.page(event);

      // Assess
      expect(response.statusCode).toBe(200);
    });

    /** The link of the enclosing beforeEach, for it.each tables built before it runs. */
    function link0(): LinkFields {
      return {
        approvalId: 'approval-1',
        approver: ALICE,
        action: 'approve',
        expires: Math.floor((Date.UTC(2026, 2, 2, 9, 0) + 24 * HOUR) / 1000),
      };
    }
  });

  describe('everything else', () => {
    it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'get', ''])(
      'when the method is "%s", it answers 405 with Allow',
      async (method) => {
        // Prepare
        const link = await world.linkFor(approvalId, ALICE, 'approve');
        const event = pageEvent({
          method,
          approvalId,
          query: linkQuery(link),
          body: formBody(link),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });

        // Act
        const response = await world.page(event);

        // Assess
        expect(response.statusCode).toBe(405);
        expect(response.headers).toEqual({ ...SECURITY_HEADERS, allow: 'GET, HEAD, POST' });
        expect((await record()).decisions).toEqual([]);
      },
    );

    it('when the store is down, it answers a 503 "try again" page without detail', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, ALICE, 'approve');
      jest.spyOn(world.store, 'get').mockRejectedValue(new AwsTransientError('DynamoDB GetItem throttled'));

      // Act
      const [get, post] = [await world.page(getLink(link)), await world.page(postLink(link))];

      // Assess
      expect([get.statusCode, post.statusCode]).toEqual([503, 503]);
      expect(post.body).toContain('<h1>Try again</h1>');
      expect(post.body).not.toContain('throttled');
      expect(post.headers).toMatchObject({ ...SECURITY_HEADERS, 'retry-after': '30' });
    });

    it('when Step Functions fails while delivering, it answers 503 and logs the failure without detail to the client', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, ALICE, 'approve');
      jest
        .spyOn(world.executions, 'sendTaskSuccess')
        .mockRejectedValueOnce(new AwsTransientError('SFN throttled'));

      // Act
      const response = await world.page(postLink(link));

      // Assess
      expect(response.statusCode).toBe(503);
      expect(logText()).toContain('approval page dependency failed');
    });

    it('when Step Functions failed while delivering, the same link shows the button again and its POST resumes the execution', async () => {
      // Prepare
      const link = await world.linkFor(approvalId, ALICE, 'approve');
      const other = await world.linkFor(approvalId, BOB, 'approve');
      jest
        .spyOn(world.executions, 'sendTaskSuccess')
        .mockRejectedValueOnce(new AwsTransientError('SFN throttled'));
      const failed = await world.page(postLink(link));

      // Act
      const [again, othersPage, retried] = [
        await world.page(getLink(link)),
        await world.page(getLink(other)),
        await world.page(postLink(link)),
      ];

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(again.body).toContain('<form');
      expect(othersPage.statusCode).toBe(409);
      expect(retried.statusCode).toBe(200);
      expect(world.executions.deliveries).toMatchObject([
        { kind: 'success', output: { approvedBy: [ALICE] } },
      ]);
      expect(await record()).toMatchObject({ status: 'approved', deliveredAt: expect.any(Number) });
    });

    it('when the event is empty or broken, it answers a 4xx page rather than throwing', async () => {
      // Prepare
      const events = [
        {},
        { requestContext: { http: { method: 'GET' } } },
        { requestContext: { http: { method: 'POST' } }, headers: null },
      ];

      // Act
      const statuses: number[] = [];
      for (const event of events) statuses.push((await world.page(event as never)).statusCode);

      // Assess
      expect(statuses).toEqual([405, 400, 415]);
    });

    it('when invoked through the Lambda middleware, it answers the page unchanged', async () => {
      // Prepare
      const page = createApprovalPage({
        store: world.store,
        executions: world.executions,
        records: world.records,
        clock: world.clock,
        keys: world.keys,
      });
      const link = await world.linkFor(approvalId, ALICE, 'approve');

      // Act
      const response = await invokeThroughMiddleware('approval-page', page, getLink(link));

      // Assess
      expect(response.statusCode).toBe(200);
    });

    it('when the environment lacks the key secret name, it fails at cold start naming the variable', () => {
      // Prepare
      const env = { APPROVAL_BASE_URL: 'https://approvals.example.com' };

      // Act
      const read = () => approvalPageEnvironment(env);

      // Assess
      expect(read).toThrow(ConfigError);
      expect(read).toThrow(/APPROVAL_LINK_KEY_SECRET_NAME/);
      expect(
        approvalPageEnvironment({ APPROVAL_LINK_KEY_SECRET_NAME: 'keys', APPROVAL_BASE_URL: '' }),
      ).toMatchObject({
        APPROVAL_LINK_KEY_SECRET_NAME: 'keys',
        APPROVAL_BASE_URL: undefined,
      });
    });
  });
});
