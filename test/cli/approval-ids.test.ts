import { requestApproval, newApprovalId } from '../../shared/approvals/request-approval';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { approvalRequest } from '../shared/approvals/approval-fixtures';
import { runCli } from '../support/cli';
import { sampleConfig } from '../support/fixtures';

/**
 * Approval ids go on command lines: new ones never start with `-`, and the ids made before (base64url,
 * one in 64 starts with `-`) are still taken by `pipeline approve|reject` in every form `pipeline status`
 * shows them.
 */
const APPROVER = 'release-manager@example.com';

let pipeline: LocalPipeline;
let http: LocalHttpServer;

beforeAll(async () => {
  pipeline = await LocalPipeline.start({ config: sampleConfig() });
  http = await serveLocalPipeline(pipeline, 0);
});

afterAll(async () => {
  await pipeline.close();
  await http.close();
});

/** A pending approval of prod/<region> whose id is `id`, as an older pipeline stored it. */
async function pendingApproval(id: string, region: string): Promise<void> {
  await requestApproval(
    approvalRequest({
      executionName: `release-orders-api-v1_4_0-${region}`,
      environment: 'prod',
      region,
      approvers: [APPROVER],
      taskToken: `token-of-${id}`,
    }),
    {
      store: pipeline.approvalStore,
      notifier: { notify: async () => {} },
      clock: pipeline.clock,
      newId: () => id,
    },
  );
}

describe('approval ids', () => {
  it('when ids are made, none starts with "-" and each is letters and digits only', () => {
    // Act
    const ids = Array.from({ length: 2000 }, () => newApprovalId());

    // Assess: base64url ids started with "-" about 31 times in 2000
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{22}$/);
  });

  it.each([
    ['as status prints it', '-CtNkq0Vb3Ls9Xc2Wd8Ee1', 'eu-west-1', (id: string) => [id]],
    ['as --id=<id>', '--tNkq0Vb3Ls9Xc2Wd8Ee2', 'us-east-1', (id: string) => [`--id=${id}`]],
    ['after --', '-_Nkq0Vb3Ls9Xc2Wd8Ee3', 'ap-southeast-2', (id: string) => ['--', id]],
  ])(
    'when an older id that starts with "-" is given %s, it decides that approval',
    async (_how, id, region, idArgs) => {
      // Prepare
      await pendingApproval(id, region);

      // Act: the connection options first, so that "--" can end the command line
      const { code, out, err } = await runCli(
        'approve',
        '--local',
        '--url',
        http.url,
        '--as',
        APPROVER,
        ...idArgs(id),
      );

      // Assess: the decision was taken (the made-up task token no longer waits, so it says so)
      expect(err).toBe('');
      expect(out).toBe(
        `Recorded, but the execution no longer waits for orders-api v1.4.0 for prod/${region} (it stopped or timed out).`,
      );
      expect(code).toBe(1);
      expect((await pipeline.approvalStore.get(id))?.decisions).toEqual([
        expect.objectContaining({ approver: APPROVER, decision: 'approve' }),
      ]);
    },
  );

  it('when the id is given twice (as --id and as an argument), it refuses with exit 2', async () => {
    // Act
    const { code, err } = await runCli('reject', 'abc', '--id=def', '--local', '--url', http.url);

    // Assess
    expect(code).toBe(2);
    expect(err).toContain('give one approval id');
  });
});
