import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';

export interface TcpProxy {
  port: number;
  /** Closes every proxied connection and stops listening: new connections are refused. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
  /**
   * A network partition: from now on nothing passes in either direction and no connection is
   * closed (no FIN, no RST reaches the other side); new connections are accepted and left hanging.
   */
  partition(): void;
  /**
   * Ends the partition: what was held flows on; a connection that one side closed meanwhile is
   * reset on the other side, as the peer's TCP stack would on its next segment.
   */
  heal(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
  /** Bytes held during a partition, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
  closed: boolean;
}

/** A TCP proxy to `targetPort`, so a test can cut a service off from the code under test. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const port = await freePort();
  const pairs = new Set<Pair>();
  let server: Server | undefined;
  let partitioned = false;

  const destroy = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };
  const onClose = (pair: Pair) => {
    // During a partition the other side must not learn of it.
    if (partitioned) pair.closed = true;
    else destroy(pair);
  };
  const connectUpstream = (pair: Pair) => {
    const upstream = createConnection(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => onClose(pair));
    upstream.once('close', () => onClose(pair));
    upstream.on('data', (chunk: Buffer) => {
      if (partitioned) pair.toClient.push(chunk);
      else pair.client.write(chunk);
    });
    for (const chunk of pair.toUpstream.splice(0)) upstream.write(chunk);
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const pair: Pair = { client, upstream: undefined, toUpstream: [], toClient: [], closed: false };
        pairs.add(pair);
        client.on('error', () => onClose(pair));
        client.once('close', () => onClose(pair));
        client.on('data', (chunk: Buffer) => {
          if (partitioned || !pair.upstream) pair.toUpstream.push(chunk);
          else pair.upstream.write(chunk);
        });
        if (!partitioned) connectUpstream(pair);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  const stop = async () => {
    const s = server;
    server = undefined;
    partitioned = false;
    for (const pair of [...pairs]) destroy(pair);
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    port,
    cut: stop,
    open: listen,
    partition() {
      partitioned = true;
    },
    heal() {
      partitioned = false;
      for (const pair of [...pairs]) {
        if (pair.closed) {
          for (const socket of [pair.client, pair.upstream]) {
            if (socket && !socket.destroyed) socket.resetAndDestroy();
          }
          pairs.delete(pair);
          continue;
        }
        if (!pair.upstream) connectUpstream(pair);
        else for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
        for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
      }
    },
    close: stop,
  };
}
