import {
  SFNClient,
  SFNServiceException,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { usePropertySeed } from '../helpers/property-seed';
import { createApprovalPage, type PageResponse } from '../../functions/approval-page/handler';
import type { DecisionKind } from '../../shared/approvals/approval';
import { linkExpiry, StaticSigningKeySource, type LinkFields } from '../../shared/approvals/links/signing';
import type { DecisionWrite } from '../../shared/ports/approvals';
import { requestApproval } from '../../shared/approvals/request-approval';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { createPipelineTable } from '../../shared/aws/pipeline-table';
import { StepFunctionsExecutionControl } from '../../shared/aws/step-functions.adapter';
import { ManualClock } from '../../shared/clock';
import { ERROR_NAMES } from '../../shared/domain/errors';
import { ALICE, BOB, approvalRequest } from '../shared/approvals/approval-fixtures';
import { RecordingNotifier } from '../shared/approvals/in-memory-approval-store';
import { BASE_URL, HOUR, KEY, START, postLink } from '../shared/approvals/links/approval-page-requests';
import { startDynalite, type LocalDynamo } from '../shared/aws/dynalite';
import { reportReliability } from './summary';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// The outcome does not depend on the machine's speed (see hang-limit.ts): the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

/** Who approves and who rejects in each race: seeded, so a failure replays. */
const SEED = usePropertySeed(20260302);

/**
 * Two approvers press opposite buttons on the same approval at the same moment, 1,000 times, through the
 * real approval-page handler, the real DynamoDB approval store on dynalite and the real Step Functions
 * adapter over an SDK mock that answers task tokens the way Step Functions does (a token answered once
 * is gone: TaskDoesNotExist). Exactly one decision wins each race, the execution hears that one decision
 * exactly once, and the loser gets the "already decided" page naming the winner.
 */

const TABLE = 'pipeline-racing-decisions';
const RACES = 1_000;
/** Races run this many at a time, so that dynalite serves interleaved writes of different approvals too. */
const CONCURRENT_RACES = 8;
/** Races whose first SendTask fails with a throttle: the winner sees "try again" and presses again. */
const RACES_WITH_FAILED_DELIVERY = 100;

interface Delivery {
  kind: 'success' | 'failure';
  output?: unknown;
  error?: string;
  cause?: string;
}

/** Counts conditional writes that lost, to show the races really collided in DynamoDB. */
class CountingApprovalStore extends DynamoApprovalStore {
  lostWrites = 0;

  override async addDecision(approvalId: string, write: DecisionWrite) {
    const updated = await super.addDecision(approvalId, write);
    if (updated === undefined) this.lostWrites++;
    return updated;
  }
}

describe('reliability: racing approval decisions', () => {
  const sfn = mockClient(SFNClient);
  /** What each task token received: the execution's side of the story. */
  const delivered = new Map<string, Delivery[]>();
  /** SendTask calls refused because the token had been answered already. */
  let answeredTwice = 0;
  /** Tokens whose next SendTask is throttled (the call fails before Step Functions acts on it). */
  const throttleNext = new Set<string>();
  const clock = new ManualClock(START);
  let dynamo: LocalDynamo;
  let store: CountingApprovalStore;
  let page: (event: Parameters<ReturnType<typeof createApprovalPage>>[0]) => Promise<PageResponse>;

  /** Step Functions' callback semantics: the first answer to a waiting token counts, later ones find no task. */
  function answer(taskToken: string, delivery: Delivery) {
    if (throttleNext.delete(taskToken))
      throw new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      });
    if (delivered.has(taskToken)) {
      answeredTwice++;
      throw new TaskDoesNotExist({ message: 'Task does not exist anymore', $metadata: {} });
    }
    delivered.set(taskToken, [delivery]);
    return {};
  }

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createPipelineTable(dynamo.client, TABLE);
    store = new CountingApprovalStore({ tableName: TABLE, client: dynamo.client, clock });
    page = createApprovalPage({
      store,
      executions: new StepFunctionsExecutionControl({ clients: new SFNClient({ region: 'eu-west-1' }) }),
      records: new DynamoDeploymentRecords({ tableName: TABLE, client: dynamo.client }),
      clock,
      keys: new StaticSigningKeySource(KEY),
      baseUrl: BASE_URL,
    });
    sfn
      .on(SendTaskSuccessCommand)
      .callsFake((input: { taskToken: string; output: string }) =>
        answer(input.taskToken, { kind: 'success', output: JSON.parse(input.output) }),
      );
    sfn
      .on(SendTaskFailureCommand)
      .callsFake((input: { taskToken: string; error: string; cause: string }) =>
        answer(input.taskToken, { kind: 'failure', error: input.error, cause: input.cause }),
      );
  });

  afterAll(async () => {
    sfn.restore();
    await dynamo.close();
  });

  it('when two approvers decide oppositely at once, exactly one decision wins, reaches the execution once, and the loser is told it was decided', async () => {
    // Prepare: who approves and who rejects in each race, seeded so a failure replays.
    const plans = fc.sample(
      fc.record({
        approverApproves: fc.boolean(),
        approveSentFirst: fc.boolean(),
        rejectComment: fc.string({ maxLength: 30 }),
      }),
      { numRuns: RACES, seed: SEED },
    );
    const counts = {
      approvedWins: 0,
      rejectedWins: 0,
      bothWon: 0,
      noneWon: 0,
      loserNotToldAlreadyDecided: 0,
      executionHeardOtherThanWinner: 0,
      executionHeardTwice: 0,
      recordDisagrees: 0,
      loserRefusalNotAudited: 0,
      retriedWinnerNotDelivered: 0,
    };

    async function race(index: number): Promise<void> {
      const plan = plans[index]!;
      const taskToken = `task-token-race-${index}`;
      const { approvalId, expiresAt } = await requestApproval(
        approvalRequest({ taskToken, executionName: `tag-orders-api-v1.4.${index}` }),
        { store, notifier: new RecordingNotifier(), clock },
      );
      const link = (approver: string, action: DecisionKind): LinkFields => ({
        approvalId,
        approver,
        action,
        expires: linkExpiry(expiresAt),
      });
      const approve = link(plan.approverApproves ? ALICE : BOB, 'approve');
      const reject = link(plan.approverApproves ? BOB : ALICE, 'reject');
      const failsFirstDelivery = index < RACES_WITH_FAILED_DELIVERY;
      if (failsFirstDelivery) throttleNext.add(taskToken);

      // Act: both buttons at once.
      const sendApprove = () => page(postLink(approve));
      const sendReject = () => page(postLink(reject, { comment: plan.rejectComment }));
      const [approved, rejected] = plan.approveSentFirst
        ? await Promise.all([sendApprove(), sendReject()])
        : await Promise.all([sendReject(), sendApprove()]).then(([r, a]) => [a, r] as const);

      // Assess
      const pages = [
        { link: approve, response: approved },
        { link: reject, response: rejected },
      ];
      // A throttled delivery shows the winner a 503 "try again"; pressing again must finish the job.
      const unavailable = pages.find((p) => p.response.statusCode === 503);
      if (unavailable) {
        const retried = await page(
          postLink(
            unavailable.link,
            unavailable.link.action === 'reject' ? { comment: plan.rejectComment } : {},
          ),
        );
        if (retried.statusCode !== 200) counts.retriedWinnerNotDelivered++;
        unavailable.response = retried;
      }
      const winners = pages.filter((p) => p.response.statusCode === 200);
      const losers = pages.filter((p) => p.response.statusCode === 409);
      if (winners.length > 1) counts.bothWon++;
      if (winners.length === 0 || losers.length !== 1) {
        counts.noneWon++;
        return;
      }
      const winner = winners[0]!;
      const loser = losers[0]!;
      if (winner.link.action === 'approve') counts.approvedWins++;
      else counts.rejectedWins++;

      const verdict = winner.link.action === 'approve' ? 'approved' : 'rejected';
      if (!loser.response.body.includes(`was already ${verdict} by ${winner.link.approver}`))
        counts.loserNotToldAlreadyDecided++;

      const heard = delivered.get(taskToken) ?? [];
      if (heard.length !== 1) counts.executionHeardTwice++;
      const expected =
        winner.link.action === 'approve'
          ? heard[0]?.kind === 'success' &&
            JSON.stringify((heard[0].output as { approvedBy: string[] }).approvedBy) ===
              JSON.stringify([winner.link.approver])
          : heard[0]?.kind === 'failure' &&
            heard[0].error === ERROR_NAMES.approvalRejected &&
            heard[0].cause?.startsWith(`rejected by ${winner.link.approver}`) === true;
      if (!expected) counts.executionHeardOtherThanWinner++;

      const record = await store.get(approvalId);
      if (
        record?.status !== verdict ||
        record.decisions.length !== 1 ||
        record.decisions[0]?.approver !== winner.link.approver ||
        record.deliveredAt === undefined
      )
        counts.recordDisagrees++;
      if (
        !record?.refusals.some(
          (r) => r.reason === 'already-decided' && r.approverClaimed === loser.link.approver,
        )
      )
        counts.loserRefusalNotAudited++;
    }

    for (let next = 0; next < RACES; next += CONCURRENT_RACES)
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENT_RACES, RACES - next) }, (_, i) => race(next + i)),
      );
    await clock.advance(HOUR);

    reportReliability('racing-approval-decisions', {
      threw: {
        races: RACES,
        'races whose first SendTask was throttled': RACES_WITH_FAILED_DELIVERY,
        'conditional writes lost in DynamoDB': store.lostWrites,
      },
      held: {
        'approve won': counts.approvedWins,
        'reject won': counts.rejectedWins,
        'both won': counts.bothWon,
        'no single winner': counts.noneWon,
        'execution heard something else than the winner': counts.executionHeardOtherThanWinner,
        'execution heard more or less than once': counts.executionHeardTwice,
        'loser not told "already decided" by the winner': counts.loserNotToldAlreadyDecided,
        'record disagrees with the winner': counts.recordDisagrees,
        'loser refusal not audited': counts.loserRefusalNotAudited,
        'retried winner not delivered': counts.retriedWinnerNotDelivered,
        'task tokens answered twice': answeredTwice,
      },
    });
    expect(counts).toEqual({
      approvedWins: expect.any(Number),
      rejectedWins: expect.any(Number),
      bothWon: 0,
      noneWon: 0,
      loserNotToldAlreadyDecided: 0,
      executionHeardOtherThanWinner: 0,
      executionHeardTwice: 0,
      recordDisagrees: 0,
      loserRefusalNotAudited: 0,
      retriedWinnerNotDelivered: 0,
    });
    expect(answeredTwice).toBe(0);
    expect(counts.approvedWins + counts.rejectedWins).toBe(RACES);
    // Both kinds of decision won some races, and many races collided in the conditional write itself.
    expect(counts.approvedWins).toBeGreaterThan(0);
    expect(counts.rejectedWins).toBeGreaterThan(0);
    expect(store.lostWrites).toBeGreaterThan(0);
  });
});
