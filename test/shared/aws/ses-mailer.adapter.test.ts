import {
  AccountSuspendedException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SendEmailCommand,
  SendingPausedException,
  SESv2Client,
  SESv2ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { SesMailer } from '../../../shared/aws/ses-mailer.adapter';
import { AwsTransientError, PipelineMisconfiguredError } from '../../../shared/domain/errors';
import { sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';
import { rejectionOf } from '../../support/fakes';

const FROM = 'Release pipeline <pipeline@example.com>';
const LINK = 'https://approvals.example.com/approvals/abc/approve?sig=secret-signature';
const MESSAGE = {
  to: 'alice@example.com',
  subject: 'Approve orders-api v1.4.0 for production/eu-west-1?',
  html: `<p>Approve: <a href="${LINK}">Approve</a> — déployer</p>`,
  text: `Approve:\n${LINK}\n`,
};

describe('SesMailer', () => {
  const ses = mockClient(SESv2Client);

  beforeEach(() => {
    ses.reset();
  });

  it('when it sends, it asks SES for one simple UTF-8 message to the one recipient', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const mailer = new SesMailer({ from: FROM, clients: new SESv2Client({ region: 'eu-west-1' }) });

    // Act
    await mailer.send(MESSAGE);

    // Assess
    expect(ses).toReceiveCommandTimes(SendEmailCommand, 1);
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: FROM,
      Destination: { ToAddresses: ['alice@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: MESSAGE.subject, Charset: 'UTF-8' },
          Body: {
            Html: { Data: MESSAGE.html, Charset: 'UTF-8' },
            Text: { Data: MESSAGE.text, Charset: 'UTF-8' },
          },
        },
      },
    });
  });

  it('when a configuration set is configured, it sends through it', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const mailer = new SesMailer({
      from: FROM,
      clients: new SESv2Client({ region: 'eu-west-1' }),
      configurationSetName: 'pipeline-approvals',
    });

    // Act
    await mailer.send(MESSAGE);

    // Assess
    expect(ses).toReceiveCommandWith(SendEmailCommand, { ConfigurationSetName: 'pipeline-approvals' });
  });

  it('when the identity lives in another region, it uses a client for that region, once', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const regions: string[] = [];
    const mailer = new SesMailer({
      from: FROM,
      region: 'us-east-1',
      clients: (region) => {
        regions.push(region);
        return new SESv2Client({ region });
      },
    });

    // Act
    await mailer.send(MESSAGE);
    await mailer.send({ ...MESSAGE, to: 'bob@example.com' });

    // Assess
    expect(regions).toEqual(['us-east-1']);
    expect(ses).toReceiveCommandTimes(SendEmailCommand, 2);
  });

  it.each([
    [
      'TooManyRequestsException',
      () => sdkError(TooManyRequestsException, { status: 429, requestId: 'req-1' }),
    ],
    ['LimitExceededException', () => sdkError(LimitExceededException, { requestId: 'req-1' })],
    [
      'ThrottlingException',
      () => unmodelledSdkError(SESv2ServiceException, 'ThrottlingException', { requestId: 'req-1' }),
    ],
  ])('when SES answers %s, it throws AwsTransientError naming the recipient', async (_name, error) => {
    // Prepare
    ses.on(SendEmailCommand).rejects(error());
    const mailer = new SesMailer({ from: FROM, clients: new SESv2Client({ region: 'eu-west-1' }) });

    // Act
    const thrown = await rejectionOf(mailer.send(MESSAGE));

    // Assess
    expect(thrown).toBeInstanceOf(AwsTransientError);
    expect(thrown.message).toContain('SES SendEmail to alice@example.com');
    expect(thrown.message).toContain('request id req-1');
    expect(thrown.message).not.toContain('secret-signature');
  });

  it('when SES rejects the message, it throws PipelineMisconfigured saying what to verify', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({
        $metadata: { httpStatusCode: 400, requestId: 'req-2' },
        message:
          'Email address is not verified. The following identities failed the check: alice@example.com',
      }),
    );
    const mailer = new SesMailer({ from: FROM, clients: new SESv2Client({ region: 'eu-west-1' }) });

    // Act
    const thrown = await rejectionOf(mailer.send(MESSAGE));

    // Assess
    expect(thrown).toBeInstanceOf(PipelineMisconfiguredError);
    expect(thrown.message).toBe(
      'SES SendEmail to alice@example.com failed (MessageRejected, request id req-2): SES rejected the message: ' +
        'check that the sender identity is verified and, while the account is in the SES sandbox, that every ' +
        'approver address is verified too (or request production access)',
    );
  });

  it('when the MAIL FROM domain is not verified, it throws PipelineMisconfigured pointing at DNS', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(
      new MailFromDomainNotVerifiedException({
        $metadata: { httpStatusCode: 400 },
        message: 'not verified',
      }),
    );
    const mailer = new SesMailer({ from: FROM, clients: new SESv2Client({ region: 'eu-west-1' }) });

    // Act
    const thrown = await rejectionOf(mailer.send(MESSAGE));

    // Assess
    expect(thrown).toBeInstanceOf(PipelineMisconfiguredError);
    expect(thrown.message).toContain('(MailFromDomainNotVerifiedException)');
    expect(thrown.message).toContain('MX and SPF records');
  });

  it.each([
    ['AccountSuspendedException', () => sdkError(AccountSuspendedException)],
    ['SendingPausedException', () => sdkError(SendingPausedException)],
    ['NotFoundException', () => sdkError(NotFoundException)],
    ['AccessDeniedException', () => unmodelledSdkError(SESv2ServiceException, 'AccessDeniedException')],
  ])('when SES answers %s, it throws PipelineMisconfigured', async (name, error) => {
    // Prepare
    ses.on(SendEmailCommand).rejects(error());
    const mailer = new SesMailer({ from: FROM, clients: new SESv2Client({ region: 'eu-west-1' }) });

    // Act
    const thrown = await rejectionOf(mailer.send(MESSAGE));

    // Assess
    expect(thrown).toBeInstanceOf(PipelineMisconfiguredError);
    expect(thrown.message).toContain(`(${name})`);
  });

  it('when SES fails with an error it does not classify, it lets the error through unchanged', async () => {
    // Prepare
    const unknown = unmodelledSdkError(SESv2ServiceException, 'SomethingNewException');
    ses.on(SendEmailCommand).rejects(unknown);
    const mailer = new SesMailer({ from: FROM, clients: new SESv2Client({ region: 'eu-west-1' }) });

    // Act
    const thrown = await rejectionOf(mailer.send(MESSAGE));

    // Assess
    expect(thrown).toBe(unknown);
  });
});
