import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { usePropertySeed } from '../helpers/property-seed';
import { SECURITY_HEADERS, type PageResponse } from '../../functions/approval-page/handler';
import type { DecisionKind } from '../../shared/approvals/approval';
import { formToken, linkExpiry, linkSignature, type LinkFields } from '../../shared/approvals/links/signing';
import { logger } from '../../shared/middleware/lambda-step';
import { ALICE, BOB, CAROL, TOKEN } from '../shared/approvals/approval-fixtures';
import {
  HOUR,
  KEY,
  OLD_KEY,
  OTHER_KEY,
  PageWorld,
  pageEvent,
} from '../shared/approvals/links/approval-page-requests';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// The outcome does not depend on the machine's speed (see hang-limit.ts): the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

usePropertySeed();

/**
 * Throws generated and mutated requests at the approval page (in-memory store, recording Step Functions).
 * Whatever arrives: no 5xx, a decision only from a valid POST (exact signed link, its form token, a form
 * body, same site, before expiry) and at most one per valid POST even when replayed, nothing at all written
 * by GET or HEAD, at most one refusal per request, no unescaped markup, and neither the task token nor the
 * link's signature in any response or log line.
 */

const DAVE = 'dave@example.com';
const MARKUP = [
  '<script>alert(document.cookie)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><iframe src=javascript:alert(1)>",
  '</textarea><script>x</script>',
  '\u0000\u001b[31m\r\nSet-Cookie: a=b',
  '%3Cscript%3E',
  '&amp;&lt;',
  '\ud800',
];
const hostile = fc.oneof(
  { arbitrary: fc.constantFrom(...MARKUP), weight: 3 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.constantFrom(...MARKUP).map((m) => `alice${m}@example.com`), weight: 1 },
  { arbitrary: fc.nat({ max: 12_000 }).map((n) => 'A'.repeat(n)), weight: 1 },
);

type ApprovalState =
  'pending' | 'two-needed-bob-approved' | 'approved' | 'superseded' | 'expired' | 'hostile-record';
type SigMode =
  'valid' | 'other-key' | 'retired-key' | 'flipped' | 'truncated' | 'extended' | 'missing' | 'junk';
type FieldMutation =
  | 'none'
  | 'swap-action'
  | 'other-approver'
  | 'later-expiry'
  | 'other-approval'
  | 'duplicate-param'
  | 'hostile-approver'
  | 'hostile-action'
  | 'hostile-expires'
  | 'hostile-approval-id'
  | 'oversized-query'
  | 'raw-junk-query';
type FormMode =
  'valid' | 'missing' | 'other-action' | 'other-key' | 'link-signature' | 'hostile' | 'duplicate';

const anyRequest = fc.record({
  state: fc.constantFrom<ApprovalState>(
    'pending',
    'pending',
    'two-needed-bob-approved',
    'approved',
    'superseded',
    'expired',
    'hostile-record',
  ),
  approver: fc.constantFrom(ALICE, BOB, CAROL, DAVE, 'ALICE@example.com'),
  action: fc.constantFrom<DecisionKind>('approve', 'reject'),
  sigMode: fc.oneof(
    { arbitrary: fc.constant<SigMode>('valid'), weight: 6 },
    {
      arbitrary: fc.constantFrom<SigMode>(
        'other-key',
        'retired-key',
        'flipped',
        'truncated',
        'extended',
        'missing',
        'junk',
      ),
      weight: 4,
    },
  ),
  flipAt: fc.nat({ max: 42 }),
  mutation: fc.oneof(
    { arbitrary: fc.constant<FieldMutation>('none'), weight: 6 },
    {
      arbitrary: fc.constantFrom<FieldMutation>(
        'swap-action',
        'other-approver',
        'later-expiry',
        'other-approval',
        'duplicate-param',
        'hostile-approver',
        'hostile-action',
        'hostile-expires',
        'hostile-approval-id',
        'oversized-query',
        'raw-junk-query',
      ),
      weight: 5,
    },
  ),
  formMode: fc.oneof(
    { arbitrary: fc.constant<FormMode>('valid'), weight: 6 },
    {
      arbitrary: fc.constantFrom<FormMode>(
        'missing',
        'other-action',
        'other-key',
        'link-signature',
        'hostile',
        'duplicate',
      ),
      weight: 3,
    },
  ),
  comment: fc.oneof(fc.constant(undefined), hostile),
  junk: hostile,
  method: fc.oneof(
    { arbitrary: fc.constantFrom('GET', 'HEAD'), weight: 4 },
    { arbitrary: fc.constant('POST'), weight: 6 },
    { arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'post', 'TRACE'), weight: 1 },
  ),
  contentType: fc.oneof(
    {
      arbitrary: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=UTF-8',
      ),
      weight: 8,
    },
    {
      arbitrary: fc.oneof(
        fc.constantFrom('multipart/form-data; boundary=x', 'text/plain', 'application/json'),
        hostile,
      ),
      weight: 1,
    },
    { arbitrary: fc.constant(undefined), weight: 1 },
  ),
  base64: fc.boolean(),
  late: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
  site: fc.oneof(
    { arbitrary: fc.constant<'none' | 'same-origin' | 'cross-site' | 'evil-origin'>('none'), weight: 6 },
    {
      arbitrary: fc.constantFrom<'same-origin' | 'cross-site' | 'evil-origin'>(
        'same-origin',
        'cross-site',
        'evil-origin',
      ),
      weight: 2,
    },
  ),
  replay: fc.boolean(),
});
type Generated = typeof anyRequest extends fc.Arbitrary<infer T> ? T : never;

async function worldIn(state: ApprovalState): Promise<{ world: PageWorld; approvalId: string }> {
  const world = new PageWorld();
  if (state === 'hostile-record') {
    const approvalId = await world.requested({
      service: MARKUP[0] as string,
      version: MARKUP[1] as string,
      region: MARKUP[2] as string,
      evidence: { [MARKUP[3] as string]: MARKUP, staging: { note: MARKUP[1] } },
    });
    return { world, approvalId };
  }
  const approvalId = await world.requested(state === 'two-needed-bob-approved' ? { minApprovals: 2 } : {});
  if (state === 'two-needed-bob-approved' || state === 'approved')
    await world.store.addDecision(approvalId, {
      decision: { approver: BOB, decision: 'approve', at: world.clock.now() },
      seenDecisions: 0,
      status: state === 'approved' ? 'approved' : 'pending',
    });
  // Approved and heard by the execution (an undelivered decision is its approver's to deliver again).
  if (state === 'approved') world.store.patch(approvalId, { deliveredAt: world.clock.now() });
  if (state === 'superseded') world.store.patch(approvalId, { status: 'superseded' });
  if (state === 'expired') world.store.patch(approvalId, { status: 'expired', expiredReason: 'timed-out' });
  return { world, approvalId };
}

function toEvent(
  g: Generated,
  approvalId: string,
  expires: number,
): { event: APIGatewayProxyEventV2; fields: LinkFields; exact: boolean } {
  const fields: LinkFields = { approvalId, approver: g.approver, action: g.action, expires };
  const valid = linkSignature(fields, KEY);
  const sig = {
    valid,
    'other-key': linkSignature(fields, OTHER_KEY),
    'retired-key': linkSignature(fields, OLD_KEY),
    flipped: valid.slice(0, g.flipAt) + (valid[g.flipAt] === 'A' ? 'B' : 'A') + valid.slice(g.flipAt + 1),
    truncated: valid.slice(0, 1 + (g.flipAt % 42)),
    extended: `${valid}${valid.slice(0, 1 + (g.flipAt % 8))}`,
    missing: undefined,
    junk: g.junk,
  }[g.sigMode];

  let id = approvalId;
  const params: [string, string][] = [
    ['approver', g.approver],
    ['action', g.action],
    ['expires', String(expires)],
    ...(sig === undefined ? [] : ([['sig', sig]] as [string, string][])),
  ];
  const set = (name: string, value: string) => {
    const at = params.findIndex(([n]) => n === name);
    if (at >= 0) params[at] = [name, value];
  };
  let rawQuery: string | undefined;
  switch (g.mutation) {
    case 'none':
      break;
    case 'swap-action':
      set('action', g.action === 'approve' ? 'reject' : 'approve');
      break;
    case 'other-approver':
      set('approver', g.approver === ALICE ? BOB : ALICE);
      break;
    case 'later-expiry':
      set('expires', String(expires + 7 * 24 * 3600));
      break;
    case 'other-approval':
      id = 'approval-2';
      break;
    case 'duplicate-param':
      params.push(['approver', ALICE], ['action', 'approve']);
      break;
    case 'hostile-approver':
      set('approver', g.junk);
      break;
    case 'hostile-action':
      set('action', g.junk);
      break;
    case 'hostile-expires':
      set('expires', g.junk);
      break;
    case 'hostile-approval-id':
      id = g.junk;
      break;
    case 'oversized-query':
      params.push(['utm_source', 'x'.repeat(5000)]);
      break;
    case 'raw-junk-query':
      rawQuery = `${new URLSearchParams(params).toString()}&${g.junk}`;
      break;
  }
  const query = rawQuery ?? new URLSearchParams(params).toString();

  const tokenFor = (f: LinkFields, key: Buffer) => formToken(f, key);
  const form: [string, string][] = [];
  switch (g.formMode) {
    case 'valid':
      form.push(['formToken', tokenFor(fields, KEY)]);
      break;
    case 'missing':
      break;
    case 'other-action':
      form.push([
        'formToken',
        tokenFor({ ...fields, action: g.action === 'approve' ? 'reject' : 'approve' }, KEY),
      ]);
      break;
    case 'other-key':
      form.push(['formToken', tokenFor(fields, OTHER_KEY)]);
      break;
    case 'link-signature':
      form.push(['formToken', valid]);
      break;
    case 'hostile':
      form.push(['formToken', g.junk]);
      break;
    case 'duplicate':
      form.push(['formToken', tokenFor(fields, KEY)], ['formToken', tokenFor(fields, KEY)]);
      break;
  }
  if (g.comment !== undefined) form.push(['comment', g.comment]);
  const body = new URLSearchParams(form).toString();

  const headers: Record<string, string | undefined> = {};
  if (g.method === 'POST') headers['content-type'] = g.contentType;
  if (g.site === 'same-origin') Object.assign(headers, { 'sec-fetch-site': 'same-origin', origin: 'null' });
  if (g.site === 'cross-site') Object.assign(headers, { 'sec-fetch-site': 'cross-site' });
  if (g.site === 'evil-origin') headers.origin = 'https://evil.example';

  const event = pageEvent({ method: g.method, approvalId: id, query, body, base64: g.base64, headers });
  if (headers['content-type'] === undefined) delete event.headers['content-type'];

  const formType = /^application\/x-www-form-urlencoded\s*(;|$)/i.test((g.contentType ?? '').trim());
  // The only requests allowed to decide: everything exactly as the confirmation page would send it.
  const exact =
    g.method === 'POST' &&
    g.sigMode === 'valid' &&
    id === approvalId &&
    query.length <= 4096 &&
    carriesExactly(query, { approver: g.approver, action: g.action, expires: String(expires), sig: valid }) &&
    g.formMode === 'valid' &&
    formType &&
    !g.late &&
    (g.site === 'none' || g.site === 'same-origin') &&
    Buffer.byteLength(body) <= 8 * 1024;
  return { event, fields, exact };
}

/** The query names each link field once, with the signed value (other parameters, as mail clients add, are fine). */
function carriesExactly(query: string, fields: Record<string, string>): boolean {
  const parsed = new URLSearchParams(query);
  return Object.entries(fields).every(([name, value]) => {
    const all = parsed.getAll(name);
    // The approver is signed lowercased: ALICE@ and alice@ are the same link.
    return (
      all.length === 1 &&
      (name === 'approver' ? all[0]?.toLowerCase() === value.toLowerCase() : all[0] === value)
    );
  });
}

/** Whether a valid POST by this approver for this action may add a decision in this state. */
function mayDecide(g: Generated): boolean {
  const approver = g.approver.toLowerCase();
  if (![ALICE, BOB, CAROL].includes(approver)) return false;
  if (approver === CAROL && g.action === 'approve') return false; // carol created the tag
  if (g.state === 'pending' || g.state === 'hostile-record') return true;
  if (g.state === 'two-needed-bob-approved') return approver !== BOB;
  return false;
}

describe('approval-page under generated and mutated requests', () => {
  let spies: jest.SpyInstance[];

  beforeEach(() => {
    spies = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(logger, level).mockImplementation(() => undefined),
    );
  });

  afterEach(() => jest.restoreAllMocks());

  it('when any request arrives, only a valid POST decides (once), nothing answers 5xx and nothing secret leaks', async () => {
    // Prepare
    let runs = 0;
    let decided = 0;
    let reads = 0;
    const property = fc.asyncProperty(anyRequest, async (g) => {
      const { world, approvalId } = await worldIn(g.state);
      const before = await world.store.get(approvalId);
      if (!before) throw new Error('no approval');
      const expires = linkExpiry(before.expiresAt);
      await world.clock.advance(g.late ? 25 * HOUR : HOUR);
      const { event, fields, exact } = toEvent(g, approvalId, expires);
      world.store.calls.length = 0;
      spies.forEach((spy) => spy.mockClear());
      runs += 1;

      // Act
      const responses: PageResponse[] = [await world.page(event)];
      if (g.replay) responses.push(await world.page(structuredClone(event)));

      // Assess
      const after = await world.store.get(approvalId);
      if (!after) throw new Error('approval vanished');
      const added = after.decisions.length - before.decisions.length;
      const refusals = after.refusals.length - before.refusals.length;
      for (const response of responses) {
        expect(response.statusCode).toBeGreaterThanOrEqual(200);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.headers).toMatchObject(SECURITY_HEADERS);
        if (g.method === 'HEAD') expect(response.body).toBe('');
        for (const tag of ['<script', '<img', '<iframe', '</textarea><script'])
          expect(response.body).not.toContain(tag);
      }
      if (added > 0 && !exact) throw new Error(`decided without a valid POST: ${JSON.stringify(g)}`);
      expect(added).toBe(exact && mayDecide(g) ? 1 : 0);
      expect(world.executions.deliveries.length).toBeLessThanOrEqual(added);
      if (g.method === 'GET' || g.method === 'HEAD') {
        expect(world.store.calls).toEqual([]);
        expect(after).toEqual(before);
        reads += 1;
      }
      expect(refusals).toBeLessThanOrEqual(responses.length);

      const logged = spies.flatMap((spy) => spy.mock.calls).map((args) => JSON.stringify(args));
      const exposed = `${JSON.stringify(responses)}\n${logged.join('\n')}`;
      expect(exposed).not.toContain(TOKEN);
      expect(exposed).not.toContain(linkSignature(fields, KEY));
      decided += added;
    });

    // Act
    await fc.assert(property, { numRuns: 10_000 });

    // Assess: the generators reached the deciding path and the read-only path, not only the refusals.
    expect(runs).toBeGreaterThanOrEqual(10_000);
    expect(decided).toBeGreaterThan(100);
    expect(reads).toBeGreaterThan(1000);
  }); // 10,000 requests: about 15 s alone, several times that on a loaded 2-core machine
});
