import { describe, expect, it } from 'vitest';
import { notify } from './notify.js';

const slack = notify.actions.slack;
const webhook = notify.actions.webhook;

describe('notify.slack', () => {
  it('describes the request with the webhook host only, never its path', () => {
    const input = slack.input.parse({
      webhook_url: 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX',
      text: 'API down: 502s since 03:12',
      channel: '#incidents',
    });
    expect(slack.describe(input)).toBe(
      'POST https://hooks.slack.com/… (Slack webhook) --data {"text":"API down: 502s since 03:12","channel":"#incidents"}',
    );
  });

  it('shortens a long message in the description', () => {
    const input = slack.input.parse({ webhook_url: 'https://h.example/x', text: 'x'.repeat(500) });
    expect(slack.describe(input)).toMatch(
      /^POST https:\/\/h\.example\/… \(Slack webhook\) --data \{"text":"x+…$/,
    );
    expect(slack.describe(input).length).toBeLessThan(260);
  });

  it('asks the engine to redact secrets in everything but the webhook URL, and is local-only', () => {
    expect(slack.redactInput).toEqual({ except: ['webhook_url'] });
    expect(slack.local).toBe(true);
    expect(slack.effect).toBe('write');
  });

  it('rejects unknown keys and an empty text', () => {
    expect(
      slack.input.safeParse({ webhook_url: 'https://h.example/x', text: '', color: 'red' }).success,
    ).toBe(false);
  });
});

describe('notify.webhook', () => {
  it('shows header names but not their values', () => {
    const input = webhook.input.parse({
      url: 'https://events.example.com/v2/enqueue?routing_key=abc123',
      payload: { event_action: 'trigger', summary: 'API down' },
      headers: { Authorization: 'Token token=abcdef' },
    });
    expect(webhook.describe(input)).toBe(
      `POST https://events.example.com/… (webhook) -H 'Authorization: …' --data {"event_action":"trigger","summary":"API down"}`,
    );
  });

  it('says so when the URL does not parse', () => {
    const input = webhook.input.parse({ url: 'not a url', payload: {} });
    expect(webhook.describe(input)).toBe('POST (invalid URL) (webhook) --data {}');
  });
});
