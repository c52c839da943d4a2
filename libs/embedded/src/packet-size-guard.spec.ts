import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { PacketLengthScanner } from './packet-size-guard.js';

const publish = (payloadBytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 'device/sck/abc123/readings/raw',
    payload: Buffer.alloc(payloadBytes, 0x61),
    qos: 1,
    messageId: 1,
    retain: false,
    dup: false,
  });

const ping = () => mqttPacket.generate({ cmd: 'pingreq' });

describe('PacketLengthScanner', () => {
  it('passes packets up to the cap, whole or split into single bytes', () => {
    const stream = Buffer.concat([publish(10), ping(), publish(900), publish(0)]);
    expect(new PacketLengthScanner(1024).accept(stream)).toBe(true);
    const byteByByte = new PacketLengthScanner(1024);
    for (const byte of stream) expect(byteByByte.accept(Buffer.from([byte]))).toBe(true);
  });

  it('refuses a packet announcing more than the cap, from its header alone', () => {
    const scanner = new PacketLengthScanner(1024);
    expect(scanner.accept(publish(10))).toBe(true);
    // Only the fixed header of a 64 MB publish: refused before any of its body arrives.
    const header = publish(64 * 1024 * 1024).subarray(0, 5);
    expect(scanner.accept(header)).toBe(false);
  });

  it('refuses a remaining length longer than four bytes', () => {
    expect(new PacketLengthScanner(1024).accept(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(
      false,
    );
  });
});
