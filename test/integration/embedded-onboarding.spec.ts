import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedDatabaseUrl, readEmbeddedCredentials } from '#config';
import type { TestResponse } from '../../tools/harness/api.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher, publishAll } from '../../tools/simulator/publisher.js';
import {
  type SingleNode,
  type StartedSystem,
  embeddedBlocked,
  prepareSingleNode,
  removeSingleNode,
  startSystem,
} from '../helpers/single-node.js';
import { listenForTokens, type TokenListener } from '../helpers/socket-io.js';
import { type SseConnection, openSse } from '../helpers/sse.js';

const blocked = embeddedBlocked();

/**
 * The setup of a new kit, as the Smart Citizen setup app does it, against `npm start` with nothing
 * external: embedded PostgreSQL (its LISTEN/NOTIFY carries the handshake from the ingestor to the
 * API), embedded MQTT broker, BullMQ on PostgreSQL for the replay, and no SMTP server.
 */
describe.skipIf(blocked !== null)('single-node mode: a kit set up end to end', () => {
  let node: SingleNode;
  let system: StartedSystem | undefined;
  let db: pg.Client | undefined;
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    node = await prepareSingleNode();
  });

  afterAll(async () => {
    for (const close of closers) await close();
    await db?.end();
    await removeSingleNode(node, system);
  });

  it('handshake on SSE and socket.io, sign-up, registration, the parked reading stored once; reset mail in the outbox', async () => {
    system = await startSystem(node.env, node.ports.api);
    const api = `http://127.0.0.1:${node.ports.api}`;
    const call = (
      path: string,
      init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
    ) =>
      fetch(`${api}${path}`, {
        method: init.method ?? 'GET',
        headers: { 'content-type': 'application/json', ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }) as Promise<TestResponse>;
    const credentials = readEmbeddedCredentials(join(node.dir, 'data', 'postgres'))!;
    db = new pg.Client({ connectionString: embeddedDatabaseUrl(node.ports.postgres, credentials.app) });
    await db.connect();

    const created = await call('/v0/onboarding/device', { method: 'POST', body: { name: 'Rooftop' } });
    expect(created.status).toBe(201);
    const { onboarding_session: session, device_token: token } = await created.json();
    const headers = { OnboardingSession: session };

    const sse: SseConnection = await openSse(`${api}/v0/onboarding/device/events`, headers);
    closers.push(() => sse.close());
    expect(sse.status).toBe(200);
    const socket: TokenListener = await listenForTokens(api);
    closers.push(() => socket.close());

    // The kit, not registered yet, says hello and sends a raw reading to the embedded broker.
    const kit = await connectPublisher(node.ports.mqtt, token);
    closers.push(() => kit.endAsync());
    await publishAll(kit, [
      { topic: `device/sck/${token}/hello`, payload: `${token}:Hello` },
      { topic: `device/sck/${token}/readings/raw`, payload: '{t:2024-05-01T10:00:00Z,55:22.25}' },
    ]);

    await waitFor(
      () => sse.events.filter((e) => e.event === 'token-received').map((e) => JSON.parse(e.data)),
      (events) => events.length === 1,
      { timeoutMs: 30_000, what: 'token-received on the SSE stream' },
    );
    expect(sse.events.filter((e) => e.event === 'token-received').map((e) => JSON.parse(e.data))).toEqual([
      { device_token: token },
    ]);
    await waitFor(
      () => socket.received,
      (received) => received.length === 1,
      { timeoutMs: 30_000, what: 'token-received on socket.io' },
    );
    expect(socket.received).toEqual([{ device_token: token }]);
    expect((await (await call('/v0/onboarding/device', { headers })).json()).device_handshake).toBe(true);
    await waitFor(
      async () => (await db!.query('SELECT 1 FROM parked_messages WHERE token = $1', [token])).rowCount,
      (n) => n === 2,
      { timeoutMs: 30_000, what: 'both messages to be parked' },
    );

    const email = 'maker@example.org';
    const signUp = await call('/v0/users', {
      method: 'POST',
      body: { email, username: 'maker', password: 'a long secret' },
    });
    expect(signUp.status).toBe(201);
    const login = await call('/v0/sessions', { method: 'POST', body: { email, password: 'a long secret' } });
    expect(login.status).toBe(200);
    const bearer = { authorization: `Bearer ${(await login.json()).access_token}` };
    const registered = await call('/v0/onboarding/register', {
      method: 'POST',
      headers: { ...headers, ...bearer },
    });
    expect(registered.status).toBe(200);
    const { id } = await registered.json();

    const readings = `/v0/devices/${id}/readings?sensor_id=55&rollup=1h&from=2024-05-01&to=2024-05-02`;
    const body = await waitFor(
      async () => (await call(readings, { headers: bearer })).json(),
      (b) => b.sample_size === 1,
      { timeoutMs: 60_000, intervalMs: 250, what: 'the parked reading to be replayed into the device' },
    );
    expect(body.readings).toEqual([['2024-05-01T10:00:00Z', 22.25]]);
    await waitFor(
      async () => (await db!.query('SELECT 1 FROM parked_messages WHERE token = $1', [token])).rowCount,
      (n) => n === 0,
      { timeoutMs: 60_000, what: 'the parked messages to be consumed by the replay' },
    );
    const stored = await db.query('SELECT value FROM readings WHERE device_id = $1', [id]);
    expect(stored.rows.map((r) => Number(r.value))).toEqual([22.25]);
    expect((await db.query('SELECT 1 FROM orphan_devices')).rowCount).toBe(0);

    // No SMTP server: the reset mail is in <data>/mail and in the log, and its link works.
    expect(
      (await call('/v0/password_resets', { method: 'POST', body: { email_or_username: 'maker' } })).status,
    ).toBe(200);
    const outbox = join(node.dir, 'data', 'mail');
    const files = await waitFor(
      () => readdirSync(outbox).filter((f) => f.endsWith('.eml')),
      (f) => f.length === 1,
      { what: 'the reset mail in the outbox', timeoutMs: 15_000 },
    );
    const mail = await simpleParser(readFileSync(join(outbox, files[0])));
    const link = /https?:\/\/\S+/.exec(mail.text ?? '')![0];
    expect(link).toMatch(new RegExp(`^http://localhost:${node.ports.api}/v0/password_resets/`));
    expect(system.output()).toContain(link);
    const reset = await fetch(link.replace('localhost', '127.0.0.1'), {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'a newer secret' }),
    });
    expect(reset.status).toBe(200);
    expect(
      (await call('/v0/sessions', { method: 'POST', body: { email, password: 'a newer secret' } })).status,
    ).toBe(200);
  }, 180_000);
});
