import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { connect } from '../../cli/operator/operator-context';
import { UsageError } from '../../cli/usage-error';
import { runCli } from '../support/cli';
import { sampleConfigText } from '../support/fixtures';

/**
 * `--as` against AWS: the deciding identity is STS's caller. `--as` may name that caller, or the approver
 * the config's `operatorIdentities` maps its ARN to; anything else is refused before any decision.
 */
const sts = mockClient(STSClient);
const BOB_USER = 'arn:aws:iam::123456789012:user/ops/bob';
const ALICE_SSO = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Release/alice@example.com';

let scratch: string;
let configFile: string;

beforeEach(() => {
  sts.reset();
  scratch = mkdtempSync(join(tmpdir(), 'operator-identity-'));
  configFile = join(scratch, 'pipeline.config.yml');
  writeFileSync(
    configFile,
    `${sampleConfigText()}\noperatorIdentities:\n  "${BOB_USER}": oncall-lead@example.com\n`,
  );
});

afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const callerIs = (arn: string) => sts.on(GetCallerIdentityCommand).resolves({ Arn: arn });

describe('who an operator is against AWS', () => {
  it('when --as names someone else, it is refused and says how to map the caller', async () => {
    // Prepare
    callerIs(ALICE_SSO);
    const context = await connect({
      region: 'eu-west-1',
      as: 'release-manager@example.com',
      config: configFile,
    });

    // Act
    const identity = context.identity();

    // Assess
    await expect(identity).rejects.toThrow(UsageError);
    await expect(identity).rejects.toThrow(
      `--as release-manager@example.com is not you: against AWS you act as alice@example.com (${ALICE_SSO})`,
    );
    await expect(identity).rejects.toThrow(
      `operatorIdentities: { "${ALICE_SSO}": release-manager@example.com }`,
    );
  });

  it('when --as names the caller itself, or nothing, the caller is who decides', async () => {
    // Prepare
    callerIs(ALICE_SSO);

    // Act
    const same = await (await connect({ region: 'eu-west-1', as: 'Alice@Example.com' })).identity();
    const none = await (await connect({ region: 'eu-west-1' })).identity();

    // Assess
    expect(same).toEqual({ arn: ALICE_SSO, name: 'alice@example.com' });
    expect(none).toEqual({ arn: ALICE_SSO, name: 'alice@example.com' });
  });

  it('when the config maps the caller to that approver, --as names it', async () => {
    // Prepare
    callerIs(BOB_USER);

    // Act
    const mapped = await (
      await connect({ region: 'eu-west-1', as: 'oncall-lead@example.com', config: configFile })
    ).identity();
    const other = (
      await connect({ region: 'eu-west-1', as: 'release-manager@example.com', config: configFile })
    )
      .identity()
      .catch((e: Error) => e.message);

    // Assess
    expect(mapped).toEqual({ arn: BOB_USER, name: 'oncall-lead@example.com' });
    expect(await other).toContain('maps you to oncall-lead@example.com: use --as oncall-lead@example.com');
  });

  it('when approving from the CLI as someone else, it exits 2 and decides nothing', async () => {
    // Prepare
    callerIs(ALICE_SSO);

    // Act
    const { code, err } = await runCli(
      'approve',
      'AbCdEfGhIjKlMnOpQrStUv',
      '--region',
      'eu-west-1',
      '--as',
      'release-manager@example.com',
      '--config',
      configFile,
    );

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(/^pipeline approve: --as release-manager@example.com is not you/);
  });
});
