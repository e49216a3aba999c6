// A small client for the gateway's WebSocket API (/ws/v1).
//
// Browsers cannot set an Authorization header on a WebSocket upgrade, so the key travels in the subprotocol list:
// "bearer-token-carrier" (the protocol the server selects) plus the URI-encoded
// "quarkus-http-upgrade#Authorization#Bearer <key>", which the server turns back into the header before
// authenticating the upgrade.

export const TOKEN_CARRIER = 'bearer-token-carrier';

export function authSubprotocols(apiKey) {
  return [TOKEN_CARRIER, encodeURIComponent(`quarkus-http-upgrade#Authorization#Bearer ${apiKey}`)];
}

// The server sends {"type":"heartbeat"} every 20 s; silence for this long means the connection is dead even if the
// browser has not noticed (sleeping laptop, dropped network): close it so the page reconnects and resumes.
const SILENCE_MS = 50_000;

export class TaskSocket {
  constructor({ onFrame, onStateChange }) {
    this.onFrame = onFrame;
    this.onStateChange = onStateChange;
    this.ws = null;
    this.key = null;
    this.nextRequestId = 1;
    this.watchdog = null;
  }

  heard(ws) {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (this.ws === ws) {
        ws.close(4000, 'no heartbeat');
      }
    }, SILENCE_MS);
  }

  /** Resolves once open; rejects if the upgrade is refused (a wrong key shows up here: browsers hide the 401). */
  connect(apiKey) {
    if (this.ws && this.key === apiKey && this.ws.readyState === WebSocket.OPEN) {
      return Promise.resolve();
    }
    this.close();
    this.key = apiKey;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/v1`;
    return new Promise((resolve, reject) => {
      let opened = false;
      let ws;
      try {
        ws = new WebSocket(url, authSubprotocols(apiKey));
      } catch (e) {
        reject(new Error('The API key contains characters that cannot be sent'));
        return;
      }
      this.ws = ws;
      this.onStateChange('connecting');
      ws.addEventListener('open', () => {
        opened = true;
        this.heard(ws);
        this.onStateChange('open');
        resolve();
      });
      ws.addEventListener('message', (event) => {
        this.heard(ws);
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch {
          return;
        }
        this.onFrame(frame);
      });
      ws.addEventListener('close', (event) => {
        if (this.ws === ws) {
          this.ws = null;
          clearTimeout(this.watchdog);
        }
        this.onStateChange(opened ? 'closed' : 'failed', event);
        if (!opened) {
          reject(new Error('Could not connect to the gateway. Check the API key.'));
        }
      });
    });
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      throw new Error('Not connected');
    }
    const requestId = String(this.nextRequestId++);
    this.ws.send(JSON.stringify({ ...frame, request_id: requestId }));
    return requestId;
  }

  close() {
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
  }
}
