// The plugin as the hub sees it: a valid shape, both ways of connecting, and catalog entries
// (JSON Schema) that a frontend can render into forms.
import { describePlugin, validatePlugin } from '@patchbay/sdk';
import { describe, expect, it } from 'vitest';
import emailPlugin from './index.ts';

describe('email plugin', () => {
  it('has a valid shape with BASIC (SMTP/IMAP) and API_KEY (SendGrid, Mailgun, Postmark) connections', () => {
    expect(validatePlugin(emailPlugin)).toBe(emailPlugin);
    expect(emailPlugin.auth.map((a) => a.mode)).toEqual(['BASIC', 'API_KEY']);
    expect(emailPlugin.actions.map((a) => a.key)).toEqual(['send_email']);
    expect(emailPlugin.triggers?.map((t) => [t.key, t.kind, t.minIntervalSeconds])).toEqual([['new_email', 'POLLING', 30]]);
  });

  it('describes its forms and contracts as JSON Schema for the catalog', () => {
    const description = describePlugin(emailPlugin);
    const [basicAuth, apiKeyAuth] = description.auth as Array<{ mode: string; credentialsSchema: any; configSchema: any }>;
    expect(Object.keys(basicAuth!.credentialsSchema.properties)).toEqual(['username', 'password']);
    expect(Object.keys(basicAuth!.configSchema.properties)).toEqual(
      expect.arrayContaining(['baseUrl', 'host', 'port', 'secure', 'requireTLS', 'rejectUnauthorized', 'imapHost', 'imapPort', 'imapSecure']),
    );
    expect(apiKeyAuth!.configSchema.properties.provider.enum).toEqual(['sendgrid', 'mailgun', 'postmark']);
    expect(apiKeyAuth!.configSchema.required).toEqual(['provider']);
    const sendEmail = description.actions[0] as { inputSchema: any; outputSchema: any };
    expect(sendEmail.inputSchema.required).toEqual(expect.arrayContaining(['from', 'to', 'subject']));
    expect(Object.keys(sendEmail.inputSchema.properties)).toEqual(['from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'text', 'html', 'attachments', 'headers']);
    expect(sendEmail.outputSchema.required).toEqual(expect.arrayContaining(['provider', 'messageId']));
  });
});
