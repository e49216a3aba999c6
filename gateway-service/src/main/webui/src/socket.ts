// The WebSocket to /ws/v1, kept open while there is a key: reconnects with exponential backoff (and jitter) after any
// close, and tells its listener each time it is open again so that open tasks are resubscribed with after_seq.
//
// Browsers cannot set an Authorization header on a WebSocket upgrade, so the key travels in the subprotocol list:
// "bearer-token-carrier" (the protocol the server selects) plus the URI-encoded
// "quarkus-http-upgrade#Authorization#Bearer <key>", which the server turns back into the header.
import type { ServerFrame } from './types';

export const TOKEN_CARRIER = 'bearer-token-carrier';

export function authSubprotocols(apiKey: string): string[] {
  return [TOKEN_CARRIER, encodeURIComponent(`quarkus-http-upgrade#Authorization#Bearer ${apiKey}`)];
}

export type ConnectionState = 'offline' | 'connecting' | 'connected' | 'reconnecting';

export interface SocketListener {
  state(state: ConnectionState, detail?: string): void;
  /** The socket is open (first time or again): (re)send subscriptions. */
  opened(): void;
  frame(frame: ServerFrame): void;
}

// The server sends {"type":"heartbeat"} every 20 s; this much silence means the connection is dead even if the
// browser has not noticed (sleeping laptop, dropped network): close it so the page reconnects and resumes.
const SILENCE_MS = 50_000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

export class TaskSocket {
  private ws: WebSocket | null = null;
  private key = '';
  private nextRequestId = 1;
  private delay = FIRST_DELAY_MS;
  private retryTimer: number | undefined;
  private watchdog: number | undefined;
  private everOpened = false;

  constructor(private readonly listener: SocketListener) {
    // Coming back online is the best moment to retry at once rather than at the end of the backoff.
    window.addEventListener('online', () => {
      if (this.key && !this.isOpen()) {
        this.reconnectNow();
      }
    });
  }

  /** Use this key from now on (an empty key disconnects). */
  start(key: string): void {
    if (key === this.key && (this.ws || this.retryTimer !== undefined)) {
      return;
    }
    this.stop();
    this.key = key;
    if (key) {
      this.delay = FIRST_DELAY_MS;
      this.open();
    }
  }

  stop(): void {
    this.key = '';
    this.everOpened = false;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    window.clearTimeout(this.watchdog);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    this.listener.state('offline');
  }

  isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a frame with a fresh request id; returns the id, or null when not connected (the caller retries later). */
  send(frame: Record<string, unknown>): string | null {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return null;
    }
    const requestId = String(this.nextRequestId++);
    this.ws.send(JSON.stringify({ ...frame, request_id: requestId }));
    return requestId;
  }

  private reconnectNow(): void {
    window.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.delay = FIRST_DELAY_MS;
    this.open();
  }

  private open(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/v1`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, authSubprotocols(this.key));
    } catch {
      this.listener.state('offline', 'The API key contains characters that cannot be sent.');
      return;
    }
    this.ws = ws;
    this.listener.state(this.everOpened ? 'reconnecting' : 'connecting');
    ws.addEventListener('open', () => {
      if (this.ws !== ws) {
        return;
      }
      this.everOpened = true;
      this.delay = FIRST_DELAY_MS;
      this.heard(ws);
      this.listener.state('connected');
      this.listener.opened();
    });
    ws.addEventListener('message', (event: MessageEvent) => {
      if (this.ws !== ws) {
        return;
      }
      this.heard(ws);
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(event.data)) as ServerFrame;
      } catch {
        return;
      }
      this.listener.frame(frame);
    });
    ws.addEventListener('close', (event: CloseEvent) => {
      if (this.ws !== ws) {
        return; // replaced or stopped on purpose
      }
      this.ws = null;
      window.clearTimeout(this.watchdog);
      // 4008: this connection fell too far behind; any other close: network, restart, deploy. Either way reconnect
      // and resubscribe with after_seq, which replays what was missed.
      const reason = event.code === 4008 ? 'too slow, resuming' : undefined;
      this.listener.state('reconnecting', reason);
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const jittered = this.delay / 2 + Math.random() * (this.delay / 2);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.key) {
        this.open();
      }
    }, jittered);
  }

  private heard(ws: WebSocket): void {
    window.clearTimeout(this.watchdog);
    this.watchdog = window.setTimeout(() => {
      if (this.ws === ws) {
        ws.close(4000, 'no heartbeat');
      }
    }, SILENCE_MS);
  }
}
