import { type ManagerOptions, type Socket, type SocketOptions, io } from 'socket.io-client';

/** A socket.io client as the setup app holds one, with every `token-received` payload it got. */
export interface TokenListener {
  socket: Socket;
  received: unknown[];
  /** The device tokens of the payloads received so far. */
  tokens(): string[];
  close(): void;
}

/** Connects (polling first, then the upgrade, as the app does); rejects on a connect_error. */
export async function listenForTokens(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<TokenListener> {
  const socket = io(url, { reconnection: false, forceNew: true, ...options });
  const received: unknown[] = [];
  socket.on('token-received', (data: unknown) => received.push(data));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return {
    socket,
    received,
    tokens: () => received.map((d) => (d as { device_token: string }).device_token),
    close: () => socket.close(),
  };
}
