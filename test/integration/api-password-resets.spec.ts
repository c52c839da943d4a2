import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestResponse } from '../../tools/harness/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { waitFor } from '../../tools/harness/poll.js';
import { freePort } from '../../tools/harness/ports.js';

const SMTP_USER = 'sck-api';
const SMTP_PASS = 'smtp secret';

let db: TestDatabase;
let api: TestApi;
let smtp: SMTPServer;
/** Every mail the SMTP server accepted, with the envelope recipients. */
const inbox: { to: string[]; mail: ParsedMail }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // A real SMTP server that insists on the API's credentials.
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const port = await freePort();
  api = await startTestApi(db, {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    SMTP_USERNAME: SMTP_USER,
    SMTP_PASSWORD: SMTP_PASS,
    MAIL_FROM: 'Smart Citizen <accounts@example.org>',
  });
  for (const [email, username] of [
    ['homer@example.org', 'homer'],
    ['marge@example.org', 'marge'],
    ['lisa@example.org', 'lisa'],
  ]) {
    const res = await api.request('/v0/users', {
      method: 'POST',
      body: { email, username, password: 'the old password' },
    });
    expect(res.status).toBe(201);
  }
});

afterAll(async () => {
  await api?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await db?.drop();
});

const login = (username: string, password: string) =>
  api.request('/v0/sessions', { method: 'POST', body: { username, password } });

const requestReset = (body: Record<string, unknown>) =>
  api.request('/v0/password_resets', { method: 'POST', body });

/** Waits for the next mail to `to` after the `seen` first ones, and returns the link it carries. */
async function nextLinkTo(to: string, seen: number): Promise<{ link: string; mail: ParsedMail }> {
  const entry = await waitFor(
    () => inbox.slice(seen).find((m) => m.to.includes(to)),
    (m) => m !== undefined,
    { what: `a mail to ${to}`, timeoutMs: 15_000 },
  );
  const link = /https?:\/\/\S+/.exec(entry!.mail.text ?? '')?.[0];
  expect(link).toBeDefined();
  return { link: link!, mail: entry!.mail };
}

/** A link followed as a browser's page would: fetch with the API's JSON. */
const follow = (link: string) => fetch(link) as Promise<TestResponse>;

const setPassword = (link: string, password: unknown, method = 'PATCH') =>
  fetch(link, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  }) as Promise<TestResponse>;

describe('password reset by email', () => {
  it('mails a link that resets the password once; the old password and login tokens stop working', async () => {
    const before = await login('homer', 'the old password');
    const { access_token: oldSession } = await before.json();
    const seen = inbox.length;
    const res = await requestReset({ email_or_username: 'HOMER' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Password Reset Instructions Delivered' });

    const { link, mail } = await nextLinkTo('homer@example.org', seen);
    expect(mail.subject).toBe('Password Reset Instructions');
    expect(mail.from?.text).toBe('"Smart Citizen" <accounts@example.org>');
    expect(link).toMatch(new RegExp(`^${api.url}/v0/password_resets/[A-Za-z0-9_-]{43}$`));
    // The link is stored only as its hash.
    const token = link.split('/').pop()!;
    const stored = await db.sql.query("SELECT password_reset_hash FROM users WHERE username = 'homer'");
    expect(stored.rows[0].password_reset_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.rows[0].password_reset_hash).not.toContain(token);

    // Following the link shows whose it is (public profile, no email).
    const shown = await follow(link);
    expect(shown.status).toBe(200);
    const user = await shown.json();
    expect(user.username).toBe('homer');
    expect(user.email).toBeUndefined();

    // A password too short is refused with the field named, and the link still works after it.
    const short = await setPassword(link, 'short');
    expect(short.status).toBe(422);
    expect(Object.keys((await short.json()).errors)).toEqual(['password']);
    const missing = await setPassword(link, undefined);
    expect(missing.status).toBe(422);

    const done = await setPassword(link, 'a brand new password');
    expect(done.status).toBe(200);
    expect((await done.json()).username).toBe('homer');
    expect((await login('homer', 'a brand new password')).status).toBe(200);
    expect((await login('homer', 'the old password')).status).toBe(401);
    expect((await api.request('/v0/me', { token: oldSession })).status).toBe(401);

    // Used: the link is refused, as an unknown one is.
    for (const response of [await follow(link), await setPassword(link, 'yet another password', 'PUT')]) {
      expect(response.status).toBe(404);
      expect((await response.json()).id).toBe('record_not_found');
    }
    expect((await login('homer', 'a brand new password')).status).toBe(200);
  });

  it('refuses an expired link and keeps the password', async () => {
    const seen = inbox.length;
    expect((await requestReset({ email: 'Marge@Example.org' })).status).toBe(200);
    const { link } = await nextLinkTo('marge@example.org', seen);
    await db.sql.query(
      "UPDATE users SET password_reset_expires_at = now() - interval '1 second' WHERE username = 'marge'",
    );
    expect((await follow(link)).status).toBe(404);
    const refused = await setPassword(link, 'a brand new password', 'PUT');
    expect(refused.status).toBe(404);
    expect((await refused.json()).id).toBe('record_not_found');
    expect((await login('marge', 'the old password')).status).toBe(200);
  });

  it('answers an unknown user as a known one, and mails nobody', async () => {
    const seen = inbox.length;
    const unknown = await requestReset({ email_or_username: 'nobody@example.org' });
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toEqual({ message: 'Password Reset Instructions Delivered' });
    expect((await requestReset({ username: 'bart' })).status).toBe(200);
    // A known user's mail afterwards is the only one that arrives.
    expect((await requestReset({ username: 'lisa' })).status).toBe(200);
    await nextLinkTo('lisa@example.org', seen);
    expect(inbox.slice(seen).map((m) => m.to)).toEqual([['lisa@example.org']]);
  });

  it('mails a user at most once a minute, and keeps only the newest link working', async () => {
    // The previous test mailed Lisa just now: asking again within the minute mails nothing.
    const seen = inbox.length;
    expect((await requestReset({ username: 'lisa' })).status).toBe(200);
    // A minute later (the pending link made two minutes ago), a new link replaces it.
    await db.sql.query(
      "UPDATE users SET password_reset_expires_at = password_reset_expires_at - interval '2 minutes' WHERE username = 'lisa'",
    );
    expect((await requestReset({ username: 'lisa' })).status).toBe(200);
    const first = await nextLinkTo('lisa@example.org', seen);
    // The first mail since is the one with the link that works: the early request sent none.
    expect((await follow(first.link)).status).toBe(200);
    await db.sql.query(
      "UPDATE users SET password_reset_expires_at = password_reset_expires_at - interval '2 minutes' WHERE username = 'lisa'",
    );
    expect((await requestReset({ username: 'lisa' })).status).toBe(200);
    const second = await nextLinkTo('lisa@example.org', seen + 1);
    expect(second.link).not.toBe(first.link);
    expect((await follow(first.link)).status).toBe(404);
    expect((await setPassword(second.link, 'lisa saxophone')).status).toBe(200);
    expect((await login('lisa', 'lisa saxophone')).status).toBe(200);
  });

  it('refuses a request that names nobody with a 422', async () => {
    const res = await requestReset({});
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.id).toBe('unprocessable_entity');
    expect(Object.keys(body.errors)).toEqual(['email_or_username']);
  });
});

describe('without SMTP_HOST', () => {
  it('writes the mail to MAIL_OUTBOX_DIR, and its link works', async () => {
    const outbox = mkdtempSync(join(tmpdir(), 'sck-mail-'));
    const port = await freePort();
    const local = await startTestApi(db, { PORT: String(port), MAIL_OUTBOX_DIR: outbox });
    try {
      expect(
        (await local.request('/v0/password_resets', { method: 'POST', body: { username: 'marge' } })).status,
      ).toBe(200);
      const files = await waitFor(
        () => readdirSync(outbox).filter((f) => f.endsWith('.eml')),
        (f) => f.length === 1,
        { what: 'the mail in the outbox' },
      );
      const mail = await simpleParser(readFileSync(join(outbox, files[0])));
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('marge@example.org');
      const link = /https?:\/\/\S+/.exec(mail.text ?? '')![0];
      // No PUBLIC_URL: the link names the API on localhost and its port.
      expect(link).toMatch(new RegExp(`^http://localhost:${port}/v0/password_resets/[A-Za-z0-9_-]{43}$`));
      const url = link.replace('localhost', '127.0.0.1');
      expect((await setPassword(url, 'marge from the outbox')).status).toBe(200);
      expect((await login('marge', 'marge from the outbox')).status).toBe(200);
    } finally {
      await local.stop();
      rmSync(outbox, { recursive: true, force: true });
    }
  });
});
