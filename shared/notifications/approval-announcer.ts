import type { ApprovalNotifier } from '../ports/approvals';
import { approvalWaitingNotification } from './notification';
import { notifyQuietly, type NotificationLog } from './notify-quietly';
import type { Notifier } from '../ports/notifications';

/**
 * The approvers' notifier, followed by one "waits for approval" notification to the pipeline's channels.
 * The approvers must be told (their notifier's failure fails the step, which is retried); the channels are
 * a courtesy (their failure is logged). `requestApproval` notifies once per approval record, so a retried
 * step announces again only if the approvers had not been told yet.
 */
export function announcingApprovals(
  approvers: ApprovalNotifier,
  channels: Notifier,
  log: NotificationLog,
): ApprovalNotifier {
  return {
    notify: async (view) => {
      await approvers.notify(view);
      await notifyQuietly(channels, approvalWaitingNotification(view), log);
    },
  };
}
