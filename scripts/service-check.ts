import { connect } from 'node:net';

export interface Service {
  name: string;
  host: string;
  port: number;
  /** How to start it when it is not running. */
  hint: string;
}

function reachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The services that are not reachable, each with the hint that starts it. */
export async function unreachable(services: Service[]): Promise<Service[]> {
  const results = await Promise.all(
    services.map(async (s) => ((await reachable(s.host, s.port)) ? null : s)),
  );
  return results.filter((s): s is Service => s !== null);
}

export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port) || defaultPort };
}
