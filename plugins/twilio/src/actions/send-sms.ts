// POST /2010-04-01/Accounts/{AccountSid}/Messages.json: send an SMS (or MMS with mediaUrl)
// from a number or a Messaging Service.
import { defineAction, z } from '@patchbay/sdk';
import { createTwilioClient, twilioCall, type TwilioCredentials } from '../client.ts';

/** E.164: "+", a country code that does not start with 0, at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{1,14}$/;
/** Twilio refuses bodies longer than this (error 21617). */
export const MAX_BODY = 1600;

const phone = (field: string) =>
  z
    .string()
    .trim()
    .regex(E164, `"${field}" must be a phone number in E.164 format: "+", the country code, then the number, digits only (e.g. +14155550123)`);

export const sendSmsInput = z
  .object({
    to: phone('to').describe('The recipient, in E.164 format (e.g. +14155550123)'),
    from: phone('from').optional().describe('Your Twilio number that sends it, in E.164 format; or give messagingServiceSid instead'),
    messagingServiceSid: z
      .string()
      .trim()
      .regex(/^MG[0-9a-fA-F]{32}$/, '"messagingServiceSid" must be a Messaging Service SID: "MG" followed by 32 hex characters')
      .optional()
      .describe('A Messaging Service (MG…) that picks the sender; use instead of from'),
    body: z
      .string()
      .min(1, '"body" is required')
      .max(MAX_BODY, `"body" is too long: Twilio accepts at most ${MAX_BODY} characters per message`)
      .describe(`The text, at most ${MAX_BODY} characters (long texts are split into segments and billed per segment)`),
    mediaUrl: z.array(z.url({ protocol: /^https?$/ })).max(10).optional().describe('Up to 10 public URLs of images or files to send as MMS (US/Canada)'),
    statusCallback: z.url({ protocol: /^https?$/ }).optional().describe('A URL Twilio posts delivery status updates to'),
  })
  .superRefine((input, ctx) => {
    if (!input.from && !input.messagingServiceSid) ctx.addIssue({ code: 'custom', path: ['from'], message: 'give "from" (a Twilio number) or "messagingServiceSid"' });
  });

export const sendSmsOutput = z.object({
  sid: z.string().describe('The message SID (SM…)'),
  status: z.string().describe('queued, accepted, sending, sent, failed, …'),
  to: z.string(),
  from: z.string().nullable().describe('The sender (null until a Messaging Service picks one)'),
  body: z.string(),
  messagingServiceSid: z.string().nullable(),
  numSegments: z.number().int().describe('How many SMS segments the body takes'),
  numMedia: z.number().int(),
  dateCreated: z.string().nullable().describe('ISO 8601'),
  errorCode: z.number().int().nullable(),
  errorMessage: z.string().nullable(),
});

export const sendSms = defineAction({
  key: 'send_sms',
  displayName: 'Send an SMS',
  description: 'Send a text message (SMS, or MMS with media) through Twilio from one of your numbers or a Messaging Service.',
  input: sendSmsInput,
  output: sendSmsOutput,
  async run(ctx) {
    const credentials = ctx.auth.credentials as TwilioCredentials;
    const { client, httpClient } = await createTwilioClient(credentials, ctx.config);
    const { input } = ctx;
    const message = await twilioCall(
      httpClient,
      () =>
        client.messages.create({
          to: input.to,
          body: input.body,
          ...(input.from ? { from: input.from } : {}),
          ...(input.messagingServiceSid ? { messagingServiceSid: input.messagingServiceSid } : {}),
          ...(input.mediaUrl?.length ? { mediaUrl: input.mediaUrl } : {}),
          ...(input.statusCallback ? { statusCallback: input.statusCallback } : {}),
        }),
      `POST /2010-04-01/Accounts/${credentials.accountSid}/Messages.json`,
    );
    return {
      sid: message.sid,
      status: message.status,
      to: message.to,
      from: message.from ?? null,
      body: message.body,
      messagingServiceSid: message.messagingServiceSid ?? null,
      numSegments: Number(message.numSegments ?? 1),
      numMedia: Number(message.numMedia ?? 0),
      dateCreated: message.dateCreated instanceof Date && !Number.isNaN(message.dateCreated.getTime()) ? message.dateCreated.toISOString() : null,
      errorCode: message.errorCode ?? null,
      errorMessage: message.errorMessage ?? null,
    };
  },
});
