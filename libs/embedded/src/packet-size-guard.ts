import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Reads the MQTT fixed headers going by, so a packet whose announced length is over the cap is
 * refused before any of its body is buffered (aedes' parser has no size limit of its own).
 */
export class PacketLengthScanner {
  /** Body bytes of the current packet still to skip; -1 while reading a header. */
  private remaining = -1;
  private headerByteSeen = false;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(private readonly maxRemainingLength: number) {}

  /** False when the stream announces a packet over the cap or a malformed length. */
  accept(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - i);
        this.remaining -= skip;
        i += skip;
        if (this.remaining === 0) this.remaining = -1;
        continue;
      }
      const byte = chunk[i++];
      if (!this.headerByteSeen) {
        this.headerByteSeen = true;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes += 1;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return false;
        continue;
      }
      if (this.length > this.maxRemainingLength) return false;
      this.remaining = this.length === 0 ? -1 : this.length;
      this.headerByteSeen = false;
      this.length = 0;
      this.multiplier = 1;
      this.lengthBytes = 0;
    }
    return true;
  }
}

/**
 * The socket as aedes sees it, with every incoming chunk checked by a PacketLengthScanner: a
 * packet over the cap closes the connection and calls onRefused.
 */
export function capPacketSize(socket: Socket, maxRemainingLength: number, onRefused: () => void): Duplex {
  const scanner = new PacketLengthScanner(maxRemainingLength);
  const capped = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!scanner.accept(chunk)) {
      onRefused();
      socket.destroy();
      return;
    }
    if (!capped.push(chunk)) socket.pause();
  });
  socket.on('end', () => capped.push(null));
  socket.on('close', () => capped.destroy());
  socket.on('error', () => capped.destroy());
  return capped;
}
