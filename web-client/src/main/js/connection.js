// The WebSocket connection to /v1/chat/ws: hello, request routing by id, keep-alive pings and automatic reconnect.
// Events: 'state' (detail: {state, reason}), 'hello' (detail: the hello frame).

const PING_INTERVAL_MS = 25_000;
const MAX_BACKOFF_MS = 10_000;

export class ChatConnection extends EventTarget {
  /**
   * @param {() => {url: string, protocols: string[]}} targetProvider called at every (re)connect, so a changed API key
   *     takes effect; it throws when the settings cannot make a connection (the message is shown)
   */
  constructor(targetProvider) {
    super();
    this.targetProvider = targetProvider;
    this.socket = null;
    this.state = 'closed';
    this.hello = null;
    this.requests = new Map(); // id -> { onFrame, answersLeft }
    this.attempts = 0;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.counter = 0;
  }

  connect() {
    clearTimeout(this.reconnectTimer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
    }
    let target;
    try {
      target = this.targetProvider();
    } catch (error) {
      this.scheduleReconnect(error.message);
      return;
    }
    this.setState('connecting');
    let opened = false;
    const socket = new WebSocket(target.url, target.protocols);
    this.socket = socket;
    socket.onopen = () => {
      opened = true;
      this.attempts = 0;
      this.pingTimer = setInterval(() => this.send({ type: 'ping' }), PING_INTERVAL_MS);
    };
    socket.onmessage = (event) => this.onFrame(event.data);
    socket.onclose = (event) => {
      clearInterval(this.pingTimer);
      this.socket = null;
      this.failInFlight();
      this.scheduleReconnect(opened ? `closed (${event.code})` : null);
    };
  }

  /** Reconnects with a backoff; when the socket never opened, asks the health endpoints why (a browser cannot see the upgrade's status). */
  async scheduleReconnect(reason) {
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts) * (0.75 + Math.random() * 0.5);
    this.attempts++;
    const why = reason ?? await diagnoseRefusedSocket();
    this.setState('reconnecting', { reason: why, retryAt: Date.now() + delay });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  onFrame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // the server only sends JSON; anything else is not ours to interpret
    }
    if (frame.type === 'hello') {
      this.hello = frame;
      this.setState('open');
      this.dispatchEvent(new CustomEvent('hello', { detail: frame }));
      return;
    }
    const pending = frame.id != null ? this.requests.get(frame.id) : null;
    if (pending) {
      // a request for n answers gets one done frame per answer; it ends with the last of them, or with an error
      if (frame.type === 'error' || (frame.type === 'done' && --pending.answersLeft === 0)) this.requests.delete(frame.id);
      pending.onFrame(frame);
    } else if (frame.type === 'error') {
      console.warn('parley: server error without a request', frame);
    }
  }

  /**
   * Sends a request frame and routes every frame with its id to {@code onFrame} until its last done frame (one per
   * answer: params.n) or an error. Returns the id.
   */
  request(frame, onFrame) {
    const id = `r${Date.now().toString(36)}-${++this.counter}`;
    const full = { ...frame, id };
    if (!this.isOpen()) {
      queueMicrotask(() => onFrame({ type: 'error', id, code: 'not_connected', message: 'Not connected to the server.' }));
      return id;
    }
    this.requests.set(id, { onFrame, answersLeft: frame.params?.n > 1 ? frame.params.n : 1 });
    this.send(full);
    return id;
  }

  cancel(id) {
    this.send({ type: 'cancel', id });
  }

  send(frame) {
    if (!this.isOpen()) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  isOpen() {
    return this.socket?.readyState === WebSocket.OPEN && this.state === 'open';
  }

  /** Requests on a lost socket end here: the server cancels them when the socket closes. */
  failInFlight() {
    const pending = [...this.requests.entries()];
    this.requests.clear();
    for (const [id, request] of pending) {
      request.onFrame({ type: 'error', id, code: 'connection_lost', message: 'The connection to the server was lost.' });
    }
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...extra } }));
  }
}

async function diagnoseRefusedSocket() {
  try {
    const live = await fetch('health/live', { cache: 'no-store' });
    if (!live.ok) return 'server unavailable';
    const ready = await fetch('health/ready', { cache: 'no-store' });
    if (!ready.ok) return 'server is loading the model';
    return 'connection refused: check the API key in Settings';
  } catch {
    return 'server unreachable';
  }
}

/** Characters an HTTP token (and so a WebSocket subprotocol) may hold. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Where and how to open the chat socket: ws(s)://host/v1/chat/ws relative to the page, with the subprotocols
 * parley.v1 and, given an API key, parley.api-key.KEY. The key goes in the Sec-WebSocket-Protocol header (the one
 * header a browser lets a page set), never in the URL, where proxies and access logs would keep it; the server
 * answers parley.v1, so the key is not echoed either.
 */
export function chatSocketTarget(apiKey) {
  const url = new URL('v1/chat/ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  if (!apiKey) return { url: url.toString(), protocols: ['parley.v1'] };
  if (!TOKEN.test(apiKey)) throw new Error('the API key has characters a WebSocket header cannot carry: check it in Settings');
  return { url: url.toString(), protocols: ['parley.v1', `parley.api-key.${apiKey}`] };
}
