/** One server-sent event as a client sees it. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseConnection {
  status: number;
  events: SseEvent[];
  /** The id of the last event received, as EventSource keeps it for a reconnect. */
  lastEventId(): string | undefined;
  /** Ends the stream from the client side (a disconnect). */
  close(): void;
  /** Resolves once the response body has ended or was aborted. */
  ended: Promise<void>;
  /** Closes the stream and resolves, once it has ended, with every event it delivered. */
  finish(): Promise<SseEvent[]>;
}

/** Opens an SSE stream with fetch and collects its events; a minimal EventSource. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  let lastId: string | undefined = headers['last-event-id'];
  const read = async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { id: undefined, event: 'message', data: '' };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') event.id = lastId = value;
            else if (field === 'event') event.event = value;
            else if (field === 'data') {
              event.data += (hasData ? '\n' : '') + value;
              hasData = true;
            }
          }
          if (hasData) events.push(event);
        }
      }
    } catch {
      // Aborted by close(): the events so far are what the client got.
    }
  };
  const ended = response.ok ? read() : response.text().then(() => undefined);
  return {
    status: response.status,
    events,
    lastEventId: () => lastId,
    close: () => abort.abort(),
    ended,
    async finish() {
      abort.abort();
      await ended;
      return events;
    },
  };
}
