/**
 * A stand-in for socket.io-client's Socket (the process boundary of the client's unit tests).
 * The hook under test talks to it exactly as to a real socket; tests play the server with
 * `serverConnect`, `fire`, `fail`, `serverDisconnect`, and read what the client sent in `sent`.
 */
class Emitter {
  constructor() {
    this.handlers = new Map();
  }
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
    return this;
  }
  off(event, fn) {
    if (event === undefined) this.handlers.clear();
    else if (fn === undefined) this.handlers.delete(event);
    else this.handlers.get(event)?.delete(fn);
    return this;
  }
  fire(event, ...args) {
    for (const fn of [...(this.handlers.get(event) ?? [])]) fn(...args);
  }
}

export class FakeSocket extends Emitter {
  constructor(options) {
    super();
    this.options = options;
    this.sent = [];
    this.connected = false;
    this.active = true;
    this.connectCalls = 0;
    this.disconnected = false;
    this.io = new Emitter();
  }
  emit(event, payload) {
    this.sent.push([event, payload]);
    return this;
  }
  connect() {
    this.connectCalls += 1;
    return this;
  }
  disconnect() {
    this.connected = false;
    this.disconnected = true;
    return this;
  }
  /** What the client sent for `event`, as a list of payloads. */
  sentOf(event) {
    return this.sent.filter(([name]) => name === event).map(([, payload]) => payload);
  }
  /** Run the client's `auth` callback (as socket.io does), then open and connect. */
  async serverConnect() {
    this.authPayload = await new Promise((resolve) => this.options.auth(resolve));
    this.io.fire("open");
    this.connected = true;
    this.fire("connect");
  }
  serverDisconnect(reason = "transport close") {
    this.connected = false;
    this.fire("disconnect", reason);
  }
  fail(message = "websocket error") {
    this.fire("connect_error", new Error(message));
  }
}

/** A socket factory that records every socket it makes; `factory.last()` is the newest. */
export function createSocketFactory() {
  const sockets = [];
  const factory = (options) => {
    const socket = new FakeSocket(options);
    sockets.push(socket);
    return socket;
  };
  factory.sockets = sockets;
  factory.last = () => sockets[sockets.length - 1];
  return factory;
}
