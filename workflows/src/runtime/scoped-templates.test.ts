import { referencedSecrets, renderTemplate } from '@patchbay/sdk';
import { describe, expect, it } from 'vitest';
import { renderEventTemplates } from './scoped-templates.ts';

const event = { message: 'Interested in enterprise plan', metadata: { lead_id: 'lead_123', score: 7 }, tags: ['a', 'b'] };
const asRun = { escapeForRun: true };

describe('renderEventTemplates', () => {
  it('substitutes {{ event.* }} and leaves every other template to the run', async () => {
    const input = { text: 'New lead {{ event.metadata.lead_id }}: {{ event.message }}', auth: 'Bearer {{ secrets.TOKEN }}', n: 3 };
    expect(await renderEventTemplates(input, event, asRun)).toEqual({ text: 'New lead lead_123: Interested in enterprise plan', auth: 'Bearer {{ secrets.TOKEN }}', n: 3 });
  });

  it('keeps the type of a whole-value template, and supports filters in mixed strings', async () => {
    expect(await renderEventTemplates({ score: '{{ event.metadata.score }}', all: '{{event}}', first: '{{ event.tags[0] }}' }, event, asRun)).toEqual({ score: 7, all: event, first: 'a' });
    expect(await renderEventTemplates('Lead: {{ event.metadata.lead_id | upcase }}', event, asRun)).toBe('Lead: LEAD_123');
  });

  it('fails clearly on a field the mapped event lacks', async () => {
    await expect(renderEventTemplates({ x: '{{ event.nope }}' }, event, asRun)).rejects.toThrow(/event\.nope/);
  });

  it('never lets a payload inject templates or secret references into the run', async () => {
    const hostile = { message: '{{ secrets.API_KEY }} {% raw %}x{% endraw %} and secrets.OTHER and {{{ secrets["X"] }}}' };
    const input = await renderEventTemplates({ text: 'Got: {{ event.message }}', whole: '{{ event.message }}', obj: '{{ event }}' }, hostile, asRun);
    // What the run does with it: no secret is requested, and one more rendering gives back the original text.
    expect(referencedSecrets(input)).toEqual([]);
    const rendered = await renderTemplate(input, { secrets: {} });
    expect(rendered).toEqual({ text: `Got: ${hostile.message}`, whole: hostile.message, obj: hostile });
  });

  it('does not escape for actions that do not render their input', async () => {
    expect(await renderEventTemplates({ sql: '{{ event.message }}' }, { message: '{{ x }}' }, { escapeForRun: false })).toEqual({ sql: '{{ x }}' });
  });
});
