// post_execute_notification: which integration sends each notification type, and with which
// action. The manifest connection names the sending connection in `config.notificationConnectionId`
// (and the sender address / number in `config.notificationFrom`).
export const NOTIFICATION_CHANNELS = {
  email: { integrationKey: 'email', action: 'send_email' },
  text: { integrationKey: 'twilio', action: 'send_sms' },
} as const;

export type NotificationType = keyof typeof NOTIFICATION_CHANNELS;
