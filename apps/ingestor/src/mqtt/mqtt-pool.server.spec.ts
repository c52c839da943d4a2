import type { IPublishPacket } from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { MqttMessage } from './mqtt-message.js';
import { MqttPoolServer } from './mqtt-pool.server.js';

/** A pool that never connects: these tests drive its dispatch to the handlers directly. */
function pool() {
  return new MqttPoolServer({
    host: '127.0.0.1',
    port: 1,
    tls: false,
    clientId: 'unit',
    connections: 1,
    keepaliveSeconds: 60,
    sessionExpirySeconds: 60,
    sharedSubscription: '$share/unit',
    topicPrefixes: [''],
  });
}

const publish = (topic: string, id: number): IPublishPacket => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from(`{t:2024-01-01T00:00:0${id}Z,10:${id}}`),
  qos: 1,
  dup: false,
  retain: false,
  messageId: id,
});

/** The pool's per-message entry point (what MQTT.js's handleMessage calls). */
const dispatch = (server: MqttPoolServer, member: number, packet: IPublishPacket): Promise<void> =>
  (server as unknown as { dispatch(m: number, p: IPublishPacket): Promise<void> }).dispatch(member, packet);

const raw = (token: string) => `device/sck/${token}/readings/raw`;

describe('MqttPoolServer dispatch', () => {
  it('hands the messages of one turn to their handler in one call, and settles each on its own outcome', async () => {
    const server = pool();
    const calls: MqttMessage[][] = [];
    const hellos: MqttMessage[][] = [];
    let failSecond!: (error: Error) => void;
    server.addHandler(
      'raw',
      (messages: MqttMessage[]) => {
        calls.push(messages);
        return Promise.resolve([
          Promise.resolve(),
          new Promise<void>((_, reject) => (failSecond = reject)),
          Promise.resolve(),
        ]);
      },
      true,
    );
    server.addHandler(
      'hello',
      (messages: MqttMessage[]) => {
        hellos.push(messages);
        return Promise.resolve(messages.map(() => Promise.resolve()));
      },
      true,
    );
    const outcomes = [
      dispatch(server, 0, publish(raw('aa'), 1)),
      dispatch(server, 1, publish('device/sck/aa/hello', 2)),
      dispatch(server, 1, publish(raw('bb'), 3)),
      dispatch(server, 0, publish(raw('cc'), 4)),
    ].map((p) =>
      p.then(
        () => 'stored',
        (e: Error) => `failed: ${e.message}`,
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    failSecond(new Error('batch failed'));

    expect(await Promise.all(outcomes)).toEqual(['stored', 'stored', 'failed: batch failed', 'stored']);
    expect(calls.map((c) => c.map((m) => [m.topic, m.member]))).toEqual([
      [
        [raw('aa'), 0],
        [raw('bb'), 1],
        [raw('cc'), 0],
      ],
    ]);
    expect(hellos.map((c) => c.length)).toEqual([1]);
  });

  it('fails every message of the call when the handler throws or answers for the wrong number', async () => {
    const server = pool();
    server.addHandler('raw', () => Promise.reject(new Error('handler crashed')), true);
    server.addHandler('hello', () => Promise.resolve([Promise.resolve()]), true);
    const crashed = [dispatch(server, 0, publish(raw('aa'), 1)), dispatch(server, 0, publish(raw('bb'), 2))];
    const miscounted = [
      dispatch(server, 0, publish('device/sck/aa/hello', 3)),
      dispatch(server, 0, publish('device/sck/bb/hello', 4)),
    ];
    for (const p of crashed) await expect(p).rejects.toThrow('handler crashed');
    for (const p of miscounted) await expect(p).rejects.toThrow('must return one outcome per message');
  });
});
