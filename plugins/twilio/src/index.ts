// @patchbay/plugin-twilio: send SMS and receive incoming messages with a Twilio account.
import { definePlugin } from '@patchbay/sdk';
import { sendSms } from './actions/send-sms.ts';
import { twilioAuth } from './auth.ts';
import { TWILIO_API } from './client.ts';
import { inboundSms } from './triggers/inbound-sms.ts';

export const twilioPlugin = definePlugin({
  key: 'twilio',
  displayName: 'Twilio',
  category: 'communication',
  description: 'Send SMS/MMS and receive incoming messages through a Twilio account.',
  baseUrl: TWILIO_API,
  auth: [twilioAuth],
  actions: [sendSms],
  triggers: [inboundSms],
});

export default twilioPlugin;
