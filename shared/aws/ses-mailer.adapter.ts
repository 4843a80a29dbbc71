import {
  AccountSuspendedException,
  BadRequestException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SendEmailCommand,
  SendingPausedException,
  SESv2Client,
  type SendEmailCommandInput,
} from '@aws-sdk/client-sesv2';
import type { MailMessage, Mailer } from '../ports/approvals';
import { AwsTransientError, PipelineMisconfiguredError } from '../domain/errors';
import {
  awsErrorName,
  isAwsError,
  isUnmodelledAwsError,
  mapAwsError,
  UNMODELLED_AWS_ERRORS,
  type AwsErrorClass,
  type UnmodelledAwsError,
} from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';

export interface SesMailerOptions {
  /** The sender: an address (or `Name <address>`) of an identity verified in SES in `region`. */
  from: string;
  /** A ready client or a per-region factory (tests); by default one SES v2 client per region. */
  clients?: ClientSource<SESv2Client>;
  /** The region of the SES identity; by default the SDK's region (AWS_REGION in Lambda). */
  region?: string;
  /** An SES configuration set (event publishing, suppression, dedicated IPs), if the account uses one. */
  configurationSetName?: string;
}

/** SES answers that no retry fixes, with what the operator should check. */
const MISCONFIGURED: [AwsErrorClass | UnmodelledAwsError, string][] = [
  [
    MessageRejected,
    'SES rejected the message: check that the sender identity is verified and, while the account is in the ' +
      'SES sandbox, that every approver address is verified too (or request production access)',
  ],
  [
    MailFromDomainNotVerifiedException,
    "the sender identity's custom MAIL FROM domain is not verified: fix its MX and SPF records in DNS or " +
      'turn off the custom MAIL FROM domain of the identity',
  ],
  [AccountSuspendedException, 'the SES account may not send email: see the SES console (account dashboard)'],
  [
    SendingPausedException,
    'sending is paused for the account or the configuration set: resume it in the SES console',
  ],
  [
    NotFoundException,
    'the configuration set or the sender identity does not exist in this region: check the mailer settings',
  ],
  [
    BadRequestException,
    'SES refused the request: check the sender and approver addresses and the configuration set name',
  ],
  [
    UNMODELLED_AWS_ERRORS.accessDenied,
    'the function may not send from this identity: allow ses:SendEmail on the identity (and configuration set)',
  ],
];

/**
 * Sends the approval emails through SES v2 `SendEmail`, simple content (SES builds the MIME message): subject,
 * HTML and text bodies, all UTF-8, one recipient per message. Errors say which recipient, the SES error name
 * and request id, and a fix; never the message itself, which holds the recipient's signed links.
 */
export class SesMailer implements Mailer {
  private readonly client: () => SESv2Client;

  constructor(private readonly options: SesMailerOptions) {
    const clients = clientsFrom(options.clients, SESv2Client);
    this.client = () => clients(options.region ?? '');
  }

  async send(message: MailMessage): Promise<void> {
    const input: SendEmailCommandInput = {
      FromEmailAddress: this.options.from,
      Destination: { ToAddresses: [message.to] },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: {
            Html: { Data: message.html, Charset: 'UTF-8' },
            Text: { Data: message.text, Charset: 'UTF-8' },
          },
        },
      },
      ...(this.options.configurationSetName !== undefined && {
        ConfigurationSetName: this.options.configurationSetName,
      }),
    };
    try {
      await this.client().send(new SendEmailCommand(input));
    } catch (error) {
      throw mapSesError(error, `SES SendEmail to ${message.to}`);
    }
  }
}

/** Classifies a SendEmail failure: transient (retry later), misconfigured (with a fix), or unchanged. */
export function mapSesError(error: unknown, context: string): Error {
  const name = awsErrorName(error);
  const requestId = (error as { $metadata?: { requestId?: string } } | undefined)?.$metadata?.requestId;
  const details = [name, requestId !== undefined ? `request id ${requestId}` : undefined]
    .filter((d) => d !== undefined)
    .join(', ');
  const fix = MISCONFIGURED.find(([kind]) =>
    typeof kind === 'string' ? isUnmodelledAwsError(error, kind) : isAwsError(error, kind),
  )?.[1];
  if (fix !== undefined) return new PipelineMisconfiguredError(`${context} failed (${details}): ${fix}`);
  // SES reports an exceeded sending rate or daily quota this way; ECS-style hard quotas do not apply here.
  if (isAwsError(error, LimitExceededException))
    return new AwsTransientError(
      `${context} hit the SES sending quota (${details}); safe to retry later, or raise the quota`,
    );
  return mapAwsError(error, context);
}
