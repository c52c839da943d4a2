import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../tools/harness/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { ingestorEnv, startInProcessIngestor } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher, publishAll } from '../../tools/simulator/publisher.js';
import { listenForTokens, type TokenListener } from '../helpers/socket-io.js';

let db: TestDatabase;
let broker: TestBroker;
let ingestor: Awaited<ReturnType<typeof startInProcessIngestor>>;
let api: TestApi;
const kits: MqttClient[] = [];
const streams: AbortController[] = [];
const sockets: TokenListener[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto({ shipped: true });
  // One queue prefix for both: the API's replay request reaches this ingestor.
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const { username, password } = broker.ingestor!;
  ingestor = await startInProcessIngestor(
    ingestorEnv(db.url, broker.port, {
      QUEUE_PREFIX: prefix,
      MQTT_USERNAME: username,
      MQTT_PASSWORD: password,
    }),
  );
  api = await startTestApi(db, { QUEUE_PREFIX: prefix });
});

afterAll(async () => {
  for (const stream of streams) stream.abort();
  for (const socket of sockets) socket.close();
  await Promise.all(kits.map((k) => k.endAsync()));
  await ingestor?.stop();
  await broker?.stop();
  await api?.stop();
  await db?.drop();
});

/** An open server-sent-events stream and everything it has delivered so far. */
async function openEvents(session: string) {
  const abort = new AbortController();
  streams.push(abort);
  const res = await fetch(`${api.url}/v0/onboarding/device/events?onboarding_session=${session}`, {
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const stream = { text: '', status: res.status };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        stream.text += decoder.decode(value, { stream: true });
      }
    } catch {
      // Aborted at the end of the test.
    }
  })();
  return stream;
}

/**
 * A socket.io 2 client on the wire, as the setup app's socket.io-client 2 talks: Engine.IO 3
 * long-polling, packets framed `<length>:<packet>`, joined to the default namespace by the server.
 * `poll` waits for the next payload (a long poll) and returns everything received so far.
 */
async function socketIo2(url: string) {
  const base = `${url}/socket.io/?EIO=3&transport=polling`;
  const open = await fetch(base);
  expect(open.status).toBe(200);
  let text = await open.text();
  const sid = /"sid":"([^"]+)"/.exec(text)?.[1];
  expect(sid).toBeDefined();
  return {
    text: () => text,
    poll: async () => {
      text += await (await fetch(`${base}&sid=${sid}`)).text();
      return text;
    },
  };
}

/** The kit as its firmware connects: client id = its token, no credentials (the broker is locked). */
async function kitFor(token: string): Promise<MqttClient> {
  const kit = await connectPublisher(broker.port, token);
  kits.push(kit);
  return kit;
}

const tokenReceived = (token: string) =>
  `event: token-received\ndata: ${JSON.stringify({ device_token: token })}\n\n`;

it('sets up a kit end to end: handshake, sign-up, login, registration, its parked reading stored once', async () => {
  const created = await api.request('/v0/onboarding/device', { method: 'POST', body: { name: 'Terrace' } });
  expect(created.status).toBe(201);
  const { onboarding_session: session, device_token: token } = await created.json();
  const headers = { OnboardingSession: session };

  const live = await openEvents(session);
  await waitFor(
    () => live.text,
    (text) => text.startsWith(': connected'),
    { what: 'the event stream to open' },
  );
  expect(live.text).not.toContain('token-received');
  // socket.io as the setup app listens (every kit's event, it picks its token), and as a client
  // that names its session.
  const app = await listenForTokens(api.url);
  const own = await listenForTokens(api.url, { query: { onboarding_session: session } });
  sockets.push(app, own);
  expect(app.received).toEqual([]);

  // The kit, not registered yet, says hello and sends a raw reading.
  await publishAll(await kitFor(token), [
    { topic: `device/sck/${token}/hello`, payload: `${token}:Hello` },
    { topic: `device/sck/${token}/readings/raw`, payload: '{t:2024-05-01T10:00:00Z,55:21.50}' },
  ]);

  await waitFor(
    async () => (await (await api.request('/v0/onboarding/device', { headers })).json()).device_handshake,
    (heard) => heard === true,
    { timeoutMs: 60_000, what: 'device_handshake to turn true' },
  );
  await waitFor(
    () => live.text,
    (text) => text.includes(tokenReceived(token)),
    { timeoutMs: 30_000, what: 'token-received on the stream that was open' },
  );
  expect(live.text.split('event: token-received').length - 1).toBe(1);
  for (const socket of [app, own]) {
    await waitFor(
      () => socket.tokens(),
      (tokens) => tokens.includes(token),
      { timeoutMs: 30_000, what: 'token-received on socket.io' },
    );
    expect(socket.received).toEqual([{ device_token: token }]);
  }
  // A session client connected after the handshake is told at once.
  const lateSocket = await listenForTokens(api.url, { query: { onboarding_session: session } });
  sockets.push(lateSocket);
  await waitFor(
    () => lateSocket.tokens(),
    (tokens) => tokens.includes(token),
    { timeoutMs: 30_000, what: 'token-received on a socket opened after the handshake' },
  );
  // A stream opened after the handshake says so at once.
  const late = await openEvents(session);
  await waitFor(
    () => late.text,
    (text) => text.includes(tokenReceived(token)),
    { timeoutMs: 30_000, what: 'token-received on a stream opened after the handshake' },
  );
  await waitFor(
    async () =>
      (
        await db.sql.query('SELECT kind FROM parked_messages WHERE token = $1 ORDER BY kind', [token])
      ).rows.map((r) => r.kind),
    (kinds) => kinds.length === 2,
    { timeoutMs: 60_000, what: 'both messages to be parked' },
  );

  const signUp = await api.request('/v0/users', {
    method: 'POST',
    body: { email: 'maker@example.org', username: 'maker', password: 'a long secret' },
  });
  expect(signUp.status).toBe(201);
  const login = await api.request('/v0/sessions', {
    method: 'POST',
    body: { email: 'maker@example.org', password: 'a long secret' },
  });
  expect(login.status).toBe(200);
  const { access_token: bearer } = await login.json();
  const registered = await api.request('/v0/onboarding/register', { method: 'POST', token: bearer, headers });
  expect(registered.status).toBe(200);
  const { id } = await registered.json();
  expect(typeof id).toBe('number');

  const readings = `/v0/devices/${id}/readings?sensor_id=55&rollup=1h&from=2024-05-01&to=2024-05-02`;
  const body = await waitFor(
    async () => (await api.request(readings, { token: bearer })).json(),
    (b) => b.sample_size === 1,
    { timeoutMs: 60_000, what: 'the parked reading to be replayed into the device' },
  );
  expect(body.readings).toEqual([['2024-05-01T10:00:00Z', 21.5]]);
  await waitFor(
    async () => (await db.sql.query('SELECT 1 FROM parked_messages WHERE token = $1', [token])).rowCount,
    (n) => n === 0,
    { timeoutMs: 60_000, what: 'the parked messages to be consumed by the replay' },
  );
  const stored = await db.sql.query('SELECT value FROM readings WHERE device_id = $1', [id]);
  expect(stored.rows.map((r) => Number(r.value))).toEqual([21.5]);
  const device = await db.sql.query('SELECT hello_at, owner_id FROM devices WHERE id = $1', [id]);
  expect(device.rows[0].hello_at).not.toBeNull();
  expect((await db.sql.query('SELECT 1 FROM orphan_devices')).rowCount).toBe(0);
}, 240_000);

it('counts an info message alone as the handshake, announced once', async () => {
  const created = await api.request('/v0/onboarding/device', { method: 'POST', body: {} });
  const { onboarding_session: session, device_token: token } = await created.json();
  const live = await openEvents(session);
  await waitFor(
    () => live.text,
    (text) => text.startsWith(': connected'),
    { what: 'the event stream to open' },
  );
  await publishAll(await kitFor(token), [
    { topic: `device/sck/${token}/info`, payload: '{"hw_ver":"2.1","id":"abc"}' },
    { topic: `device/sck/${token}/info`, payload: '{"hw_ver":"2.1","id":"abc"}' },
  ]);
  await waitFor(
    () => live.text,
    (text) => text.includes(tokenReceived(token)),
    { timeoutMs: 60_000, what: 'token-received after an info message' },
  );
  await waitFor(
    async () => (await db.sql.query('SELECT 1 FROM parked_messages WHERE token = $1', [token])).rowCount,
    (n) => n === 2,
    { timeoutMs: 60_000, what: 'both infos to be parked' },
  );
  const { rows } = await db.sql.query(
    'SELECT device_handshake FROM orphan_devices WHERE onboarding_session = $1',
    [session],
  );
  expect(rows).toEqual([{ device_handshake: true }]);
  expect(live.text.split('event: token-received').length - 1).toBe(1);
}, 180_000);

it('socket.io: admits socket.io 2 clients (Engine.IO 3), refuses an unknown session, hears every kit', async () => {
  // The setup app ships socket.io-client 2 (Engine.IO 3): spoken here on the wire, long-polling.
  const v2 = await socketIo2(api.url);
  // Joined to the default namespace (`40`), which the server sends once LISTEN is in place.
  for (let text = v2.text(); !/(?:^|\D)2:40(?!\d)/.test(text);) text = await v2.poll();
  const early = await (await api.request('/v0/onboarding/device', { method: 'POST', body: {} })).json();
  await publishAll(await kitFor(early.device_token), [
    { topic: `device/sck/${early.device_token}/hello`, payload: `${early.device_token}:Hello` },
  ]);
  const v2Events = await waitFor(
    async () =>
      [...(await v2.poll()).matchAll(/42(\["token-received",\{[^\]]*\}\])/g)].map((m) => JSON.parse(m[1])),
    (events) => events.length > 0,
    { timeoutMs: 60_000, what: 'token-received on the socket.io 2 client' },
  );
  expect(v2Events).toEqual([['token-received', { device_token: early.device_token }]]);
  await expect(
    listenForTokens(api.url, { query: { onboarding_session: '00000000-0000-4000-8000-000000000000' } }),
  ).rejects.toThrow('Invalid OnboardingSession');
  await expect(listenForTokens(api.url, { query: { onboarding_session: 'nope' } })).rejects.toThrow(
    'Invalid OnboardingSession',
  );

  const app = await listenForTokens(api.url, { transports: ['websocket'] });
  sockets.push(app);
  const kits = await Promise.all(
    [0, 1].map(async () => (await api.request('/v0/onboarding/device', { method: 'POST', body: {} })).json()),
  );
  const other = await listenForTokens(api.url, { query: { onboarding_session: kits[1].onboarding_session } });
  sockets.push(other);
  for (const kit of kits) {
    await publishAll(await kitFor(kit.device_token), [
      { topic: `device/sck/${kit.device_token}/hello`, payload: `${kit.device_token}:Hello` },
    ]);
  }
  await waitFor(
    () => app.tokens().sort(),
    (tokens) => tokens.length === 2,
    { timeoutMs: 60_000, what: 'both kits on the every-kit socket' },
  );
  expect(app.tokens().sort()).toEqual(kits.map((k) => k.device_token).sort());
  // The session client hears its own kit only.
  await waitFor(
    () => other.tokens(),
    (tokens) => tokens.length === 1,
    { timeoutMs: 30_000, what: "the second kit's token on its session socket" },
  );
  expect(other.received).toEqual([{ device_token: kits[1].device_token }]);

  // ONBOARDING_SOCKET_BROADCAST=false: only clients that name their session are admitted.
  const closed = await startTestApi(db, { ONBOARDING_SOCKET_BROADCAST: 'false' });
  try {
    await expect(listenForTokens(closed.url)).rejects.toThrow('Invalid OnboardingSession');
    const own = await listenForTokens(closed.url, {
      query: { onboarding_session: kits[1].onboarding_session },
    });
    sockets.push(own);
    // Its kit was heard already: told at once.
    await waitFor(
      () => own.received,
      (received) => received.length === 1,
      { what: 'token-received at once on the session socket' },
    );
    expect(own.received).toEqual([{ device_token: kits[1].device_token }]);
  } finally {
    await closed.stop();
  }
}, 180_000);
