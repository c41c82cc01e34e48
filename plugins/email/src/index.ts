// @patchbay/plugin-email: send mail over SMTP or an email API (SendGrid, Mailgun, Postmark),
// and watch an IMAP mailbox for new messages.
import { definePlugin } from '@patchbay/sdk';
import { sendEmail } from './actions/send-email.ts';
import { apiKeyAuth, mailboxAuth } from './auth.ts';
import { newEmail } from './triggers/new-email.ts';

export const emailPlugin = definePlugin({
  key: 'email',
  displayName: 'Email',
  category: 'email',
  description: 'Send email over SMTP, SendGrid, Mailgun or Postmark, and trigger flows on new messages in an IMAP mailbox.',
  auth: [mailboxAuth, apiKeyAuth],
  actions: [sendEmail],
  triggers: [newEmail],
});

export default emailPlugin;
export { MAX_ATTACHMENT_BYTES, parseAddress } from './actions/send-email.ts';
export { MAX_EVENTS_PER_POLL, type NewEmailCursor, type NewEmailEvent } from './triggers/new-email.ts';
