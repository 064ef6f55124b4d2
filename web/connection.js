// The WebSocket connection (protocol §1–§3): hello first, one reply per
// command matched by id, reconnection with backoff after a lost
// connection, and none after being replaced by another tab.

const MAX_BACKOFF_MS = 8000;
const RATE_LIMIT_RETRIES = 5;
const PING_EVERY_MS = 25000;
const PING_TIMEOUT_MS = 10000;

// CommandError is a command's rejection: a server error (protocol §5.1) or
// code "DISCONNECTED" when the connection ended before the reply.
class CommandError extends Error {
  constructor(data) {
    super(data.message || data.code);
    this.code = data.code;
    this.details = data.details || {};
    this.retryAfterMs = data.retry_after_ms;
  }
}

export class Connection {
  // hooks: hello() gives hello's data at each (re)connection; welcome(data);
  // helloFailed(error) for a rejected hello; push(message) for every
  // server message that is not a reply; status(state, info) with state
  // "connecting", "open", "waiting" (info: ms until the next try) or
  // "replaced".
  constructor(hooks) {
    this.hooks = hooks;
    this.ws = null;
    this.nextId = 0;
    this.pending = new Map();
    this.backoffMs = 500;
    this.retryAfterMs = 0;
    this.replaced = false;
    this.stopped = true;
    this.welcomed = false;
    this.reconnectTimer = 0;
    this.pingTimer = 0;
  }

  get open() {
    return this.welcomed && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  // start connects now (again after a replacement or a stop).
  start() {
    this.stopped = false;
    this.replaced = false;
    clearTimeout(this.reconnectTimer);
    this.connect();
  }

  // retry closes the connection and connects again after the backoff, or
  // after afterMs when the server named a time.
  retry(afterMs) {
    this.retryAfterMs = afterMs || 0;
    if (this.ws) this.ws.close();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    if (this.ws) this.ws.close(1000);
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws");
    this.ws = ws;
    this.welcomed = false;
    this.hooks.status("connecting");
    ws.onopen = () => this.sendHello(ws);
    ws.onmessage = (e) => this.receive(ws, e.data);
    ws.onclose = (e) => this.closed(ws, e.code);
  }

  sendHello(ws) {
    this.request(ws, "hello", this.hooks.hello()).then(
      (data) => {
        this.welcomed = true;
        this.backoffMs = 500;
        this.retryAfterMs = 0;
        this.hooks.status("open");
        this.keepAlive(ws);
        this.hooks.welcome(data);
      },
      (err) => {
        if (err.code !== "DISCONNECTED") this.hooks.helloFailed(err);
      },
    );
  }

  // keepAlive pings now and then: a connection that lost its network
  // silently is closed, and so reconnected, instead of hanging.
  keepAlive(ws) {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (ws !== this.ws) return clearInterval(this.pingTimer);
      const dead = setTimeout(() => ws.close(), PING_TIMEOUT_MS);
      this.request(ws, "ping", { client_time: Date.now() }).then(
        () => clearTimeout(dead),
        () => clearTimeout(dead),
      );
    }, PING_EVERY_MS);
  }

  // call sends a command once the connection is open; it resolves with the
  // ack's data and rejects with a CommandError.
  call(type, data = {}) {
    if (!this.open) {
      return Promise.reject(new CommandError({ code: "DISCONNECTED", message: "not connected" }));
    }
    return this.request(this.ws, type, data);
  }

  request(ws, type, data) {
    return new Promise((resolve, reject) => {
      const entry = { ws, type, data, resolve, reject, tries: 0 };
      this.transmit(entry);
    });
  }

  transmit(entry) {
    if (entry.ws !== this.ws || entry.ws.readyState !== WebSocket.OPEN) {
      entry.reject(new CommandError({ code: "DISCONNECTED", message: "connection lost" }));
      return;
    }
    const id = `c${++this.nextId}`;
    this.pending.set(id, entry);
    entry.ws.send(JSON.stringify({ type: entry.type, id, data: entry.data }));
  }

  receive(ws, text) {
    if (ws !== this.ws) return;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    const entry = msg.reply_to && this.pending.get(msg.reply_to);
    if (!entry) {
      if (msg.type === "replaced") this.replaced = true;
      if (msg.type === "shutdown") this.retryAfterMs = msg.data.retry_after_ms || 0;
      this.hooks.push(msg);
      return;
    }
    this.pending.delete(msg.reply_to);
    if (msg.type !== "error") {
      entry.resolve(msg.data);
      return;
    }
    const err = new CommandError(msg.data);
    if (err.code === "RATE_LIMITED" && entry.tries < RATE_LIMIT_RETRIES) {
      entry.tries++;
      setTimeout(() => this.transmit(entry), err.retryAfterMs || 100);
      return;
    }
    entry.reject(err);
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    clearInterval(this.pingTimer);
    this.welcomed = false;
    for (const [id, entry] of this.pending) {
      if (entry.ws === ws) {
        this.pending.delete(id);
        entry.reject(new CommandError({ code: "DISCONNECTED", message: "connection lost" }));
      }
    }
    if (this.replaced || code === 4000) {
      this.replaced = true;
      this.hooks.status("replaced");
      return;
    }
    if (this.stopped) return;
    const wait = Math.max(this.retryAfterMs, this.backoffMs);
    this.retryAfterMs = 0;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.hooks.status("waiting", wait);
    this.reconnectTimer = setTimeout(() => this.connect(), wait);
  }
}
