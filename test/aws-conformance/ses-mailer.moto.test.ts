import {
  CreateConfigurationSetCommand,
  CreateEmailIdentityCommand,
  GetEmailIdentityCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { SesMailer } from '../../shared/aws/ses-mailer.adapter';
import { PipelineMisconfiguredError } from '../../shared/domain/errors';
import { rejectionOf } from '../support/fakes';
import { startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The approval mailer (shared/aws/ses-mailer.adapter.ts) against moto's SES v2: the request shape of
 * SendEmail with and without a configuration set, and the sandbox rule that the sender identity must be
 * verified in the mailer's region. What moto stores of a sent message is read from its model data.
 */
const REGION = 'eu-west-1';
const SENDER = 'pipeline@example.com';
const FROM = `Release pipeline <${SENDER}>`;
const CONFIGURATION_SET = 'approval-mail';
const LINK = 'https://approvals.example.com/approvals/abc/approve?sig=secret-signature';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMotoServer();
  const setup = new SESv2Client(moto.clientConfig(REGION));
  await setup.send(new CreateEmailIdentityCommand({ EmailIdentity: SENDER }));
  await setup.send(new CreateConfigurationSetCommand({ ConfigurationSetName: CONFIGURATION_SET }));
  const identity = await setup.send(new GetEmailIdentityCommand({ EmailIdentity: SENDER }));
  // moto answers VerifiedForSendingStatus false for every identity it verified (docs/aws-conformance.md).
  if (identity.VerificationStatus !== 'SUCCESS')
    throw new Error(`moto did not verify ${SENDER}: ${JSON.stringify(identity)}`);
  setup.destroy();
}, 90_000);
afterAll(() => moto?.stop());

/** The adapter's per-region client factory, each client recorded for the contract summary. */
const clients = (region: string) => moto.adapterClient('ses-mailer.adapter', SESv2Client, region);

function message(to: string) {
  return {
    to,
    subject: `Approve orders-api v1.4.0 for production/${REGION}? (${to})`,
    html: `<p>Approve: <a href="${LINK}">Approve</a> — déployer</p>`,
    text: `Approve:\n${LINK}\n`,
  };
}

interface SentMessage {
  id: string;
  source: string;
  subject: string;
  body: string;
  destinations: { ToAddresses?: string[] };
}

/** The messages moto accepted, from its model data (GET /moto-api/data.json). */
async function sentMessages(): Promise<SentMessage[]> {
  const response = await fetch(`${moto.endpoint}/moto-api/data.json`);
  const data = (await response.json()) as { ses?: { Message?: SentMessage[] } };
  return data.ses?.Message ?? [];
}

describe('SES mailer against moto (SESv2 SendEmail)', () => {
  it('when the sender is verified, SES accepts one message to the one recipient, HTML body and UTF-8 intact', async () => {
    // Prepare
    const mailer = new SesMailer({ from: FROM, clients, region: REGION });
    const sent = message('alice@example.com');

    // Act
    await mailer.send(sent);

    // Assess
    const accepted = (await sentMessages()).filter((m) => m.subject === sent.subject);
    expect(accepted).toEqual([
      expect.objectContaining({
        source: FROM,
        body: sent.html,
        destinations: { ToAddresses: ['alice@example.com'] },
      }),
    ]);
  });

  it('when a configuration set is named, SES accepts the message sent through it', async () => {
    // Prepare
    const mailer = new SesMailer({
      from: FROM,
      clients,
      region: REGION,
      configurationSetName: CONFIGURATION_SET,
    });
    const sent = message('bob@example.com');

    // Act
    await mailer.send(sent);

    // Assess
    const accepted = (await sentMessages()).filter((m) => m.subject === sent.subject);
    expect(accepted.map((m) => m.destinations.ToAddresses)).toEqual([['bob@example.com']]);
  });

  it('when the identity is verified in another region only, SES rejects the message and the error says how to fix it', async () => {
    // Prepare
    const mailer = new SesMailer({ from: FROM, clients, region: 'us-east-1' });
    const sent = message('carol@example.com');

    // Act
    const error = await rejectionOf(mailer.send(sent));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toContain('SES SendEmail to carol@example.com failed (MessageRejected');
    expect(error.message).toContain('check that the sender identity is verified');
    expect(error.message).not.toContain(LINK);
    expect((await sentMessages()).filter((m) => m.subject === sent.subject)).toEqual([]);
  });
});
