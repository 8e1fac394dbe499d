/**
 * The client half of the NATS transport. One connection per transport, one wildcard subscription
 * on its reply subjects (`<inbox>.<n>`), routed by subject:
 * - a unary call publishes to the node's subject with a reply subject of its own, taken from the
 *   node's idle ones (go-micro's server keeps a socket per reply subject for a minute, so they are
 *   reused, like go-micro's pooled clients reuse theirs); NATS's "no responders" answer fails that
 *   call at once as retryable (nothing listens: the request was not delivered);
 * - a stream has a reply subject for its life, and every message it sends carries the opening
 *   headers and `Micro-Stream`, as go-micro's client writes them; its first message offers a credit
 *   window (`Micro-Window`), which only a nest-micro server answers (nats.flow.ts).
 * A lost connection fails what is in flight (503; the request may have been handled).
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { natsTransportNode } from '../../drivers.js';
import { MicroError } from '../../errors/micro-error.js';
import { nodeGone } from '../../errors/node-gone.js';
import { HEADER, timerDelay } from '../../metadata/headers.js';
import { natsConnectionOptions } from '../../nats/connection.js';
import { NatsLink } from '../../nats/link.js';
import { cancelled, HttpStreamSocket, type StreamLink } from '../http/stream-socket.js';
import { errorMessage } from '../stream-wire.js';
import type { Message, Socket, TransportCallOptions, TransportClient } from '../transport.js';
import { isPublishSubject, NATS_TRANSPORT_ID, type ResolvedNatsTransportOptions } from './nats.options.js';
import { publishMessage } from './nats.publish.js';
import { decodeMessage } from './nats.wire.js';
import {
  CREDIT_HEADER,
  creditGrant,
  NATS_STREAM_WINDOW,
  ReceiveWindow,
  SendWindow,
  WINDOW_HEADER,
} from './nats.flow.js';

/** What listens on one reply subject. */
interface Route {
  message(msg: Msg): void;
  lost(error: MicroError): void;
}

/** NATS's answer to a request nobody subscribes to: an empty message with status 503. */
export function isNoResponders(msg: Msg): boolean {
  return msg.data.length === 0 && msg.headers?.code === 503;
}

/** The transport's client connection and its reply subjects. */
export class NatsClientSide {
  private readonly link: NatsLink;
  private readonly routes = new Map<string, Route>();
  private prefix = '';
  private counter = 0;

  constructor(readonly options: ResolvedNatsTransportOptions) {
    const connection = natsConnectionOptions(options.servers, options.name, options.connection);
    this.link = new NatsLink(connection, NATS_TRANSPORT_ID, {
      connected: (nc) => this.subscribe(nc),
      disconnected: () => this.lose('the connection to NATS was lost'),
    });
  }

  connection(): Promise<NatsConnection> {
    return this.link.get();
  }

  /** A new reply subject routed to `route`. */
  open(route: Route): string {
    const subject = `${this.prefix}.${(++this.counter).toString(36)}`;
    this.routes.set(subject, route);
    return subject;
  }

  /** Routes `subject` (one made by `open`) to `route` again; false when it belongs to an older connection. */
  reopen(subject: string, route: Route): boolean {
    if (!subject.startsWith(`${this.prefix}.`)) return false;
    this.routes.set(subject, route);
    return true;
  }

  drop(subject: string): void {
    this.routes.delete(subject);
  }

  async close(): Promise<void> {
    this.lose('the transport is closed');
    await this.link.close();
  }

  private subscribe(nc: NatsConnection): void {
    this.prefix = natsTransportNode().createInbox();
    nc.subscribe(`${this.prefix}.*`, {
      callback: (error, msg) => {
        if (!error) this.routes.get(msg.subject)?.message(msg);
      },
    });
  }

  private lose(reason: string): void {
    const routes = [...this.routes.values()];
    this.routes.clear();
    const error = MicroError.unavailable(NATS_TRANSPORT_ID, `nats transport: ${reason}`, false);
    for (const route of routes) route.lost(error);
  }
}

/** Calls and streams to one node (its subject). */
export class NatsTransportClient implements TransportClient {
  private readonly idle: string[] = [];

  constructor(
    readonly address: string,
    private readonly side: NatsClientSide,
  ) {}

  call(
    request: Message,
    options: TransportCallOptions,
    callback: (error: MicroError | null, reply?: Message) => void,
  ): void {
    const call = new UnaryCall(this, request, options.timeout, callback);
    if (!isPublishSubject(this.address)) {
      call.finish(
        MicroError.badRequest(NATS_TRANSPORT_ID, `nats transport: "${this.address}" is not a subject`),
      );
      return;
    }
    this.side.connection().then(
      (nc) => call.send(nc),
      (error: unknown) => call.finish(error as MicroError),
    );
  }

  stream(first: Message): Socket {
    return new NatsClientStream(first, this.address, this.side).stream;
  }

  /** A reply subject for one call: an idle one of this node's, or a new one. */
  take(route: Route): string {
    for (let subject = this.idle.pop(); subject !== undefined; subject = this.idle.pop()) {
      if (this.side.reopen(subject, route)) return subject;
    }
    return this.side.open(route);
  }

  /** The call on `subject` completed: keep the subject for a later call (or let it go). */
  give(subject: string): void {
    this.side.drop(subject);
    if (this.idle.length < this.side.options.maxIdleReplySubjects) this.idle.push(subject);
  }

  forget(subject: string): void {
    this.side.drop(subject);
  }
}

class UnaryCall implements Route {
  private done = false;
  private subject = '';
  private readonly timer: NodeJS.Timeout;
  private readonly id: string | undefined;

  constructor(
    private readonly client: NatsTransportClient,
    private readonly request: Message,
    private readonly timeout: number,
    private readonly callback: (error: MicroError | null, reply?: Message) => void,
  ) {
    this.id = request.header[HEADER.id];
    this.timer = setTimeout(() => this.expire(), timerDelay(timeout));
  }

  send(nc: NatsConnection): void {
    if (this.done) return;
    this.subject = this.client.take(this);
    const error = publishMessage(nc, this.client.address, this.request, this.subject);
    if (error) this.finish(error);
  }

  message(msg: Msg): void {
    if (isNoResponders(msg)) {
      const detail = `nats transport: nothing listens on ${this.client.address} (the node is gone)`;
      return this.finish(nodeGone(NATS_TRANSPORT_ID, detail));
    }
    const reply = decodeMessage(msg.data, NATS_TRANSPORT_ID);
    if (reply instanceof MicroError) {
      return this.finish(
        new MicroError(NATS_TRANSPORT_ID, `reply from ${this.client.address}: ${reply.detail}`, 502),
      );
    }
    const id = reply.header[HEADER.id];
    if (id !== undefined && this.id !== undefined && id !== this.id) return; // a late reply to an earlier call
    this.finish(null, reply);
  }

  lost(error: MicroError): void {
    this.subject = '';
    this.finish(error);
  }

  finish(error: MicroError | null, reply?: Message): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    if (this.subject) {
      if (error === null) this.client.give(this.subject);
      else this.client.forget(this.subject);
    }
    this.callback(error, reply);
  }

  private expire(): void {
    const detail = `call to ${this.client.address} timed out after ${this.timeout}ms`;
    this.finish(MicroError.timeout(NATS_TRANSPORT_ID, detail));
  }
}

/**
 * One client stream: its reply subject, the opening headers every message repeats, and its credit
 * windows (unlimited until a nest-micro server answers the offered window; never with go-micro).
 */
class NatsClientStream implements StreamLink, Route {
  readonly stream: HttpStreamSocket;
  local = '';
  private readonly base: Record<string, string>;
  private nc?: NatsConnection;
  private queue: Message[] | undefined = [];
  private subject = '';
  private sent = 0;
  private released = false;
  private readonly sending = new SendWindow(Infinity, (message) => this.publish(message));
  private receiving: ReceiveWindow | undefined;
  /** Both sides ended while messages still wait for credit: let go once they are sent. */
  private releaseWhenSent = false;

  constructor(
    first: Message,
    readonly remote: string,
    private readonly side: NatsClientSide,
  ) {
    const id = first.header[HEADER.stream] || '1';
    this.base = { ...first.header, [HEADER.stream]: id };
    delete this.base[HEADER.error];
    this.stream = new HttpStreamSocket(id, this);
    if (!isPublishSubject(remote)) {
      this.stream.abort(
        MicroError.badRequest(NATS_TRANSPORT_ID, `nats transport: "${remote}" is not a subject`),
      );
      return;
    }
    side.connection().then(
      (nc) => this.connected(nc),
      (error: unknown) => this.stream.abort(error as MicroError),
    );
    this.write(this.stream, {
      header: { [WINDOW_HEADER]: String(NATS_STREAM_WINDOW) },
      body: first.body,
    });
  }

  write(_stream: HttpStreamSocket, message: Message): boolean {
    if (this.released) return false;
    const full: Message = { header: { ...this.base, ...message.header }, body: message.body };
    if (this.queue) {
      this.queue.push(full);
      return true;
    }
    return this.sending.write(full);
  }

  consumed(_stream: HttpStreamSocket, message: Message): void {
    this.receiving?.consume(message);
  }

  hold(): void {
    /* NATS cannot hold a publisher back: messages wait in the stream's inbox */
  }

  abort(_stream: HttpStreamSocket, error: MicroError | undefined): void {
    // go-micro's server hears of a cancelled stream through an in-band error
    this.sending.clear();
    if (this.releaseWhenSent) this.release();
    if (this.nc && this.subject)
      publishMessage(this.nc, this.remote, errorMessage(error ?? cancelled(), this.base), this.subject);
  }

  release(): void {
    if (this.released) return;
    if (this.sending.pending > 0 && !this.stream.aborted) {
      this.releaseWhenSent = true;
      return;
    }
    this.released = true;
    this.queue = undefined;
    this.sending.clear();
    if (this.subject) this.side.drop(this.subject);
  }

  message(msg: Msg): void {
    if (isNoResponders(msg)) {
      const detail = `nats transport: nothing listens on ${this.remote} (the node is gone)`;
      return this.stream.abort(nodeGone(NATS_TRANSPORT_ID, detail, this.sent <= 1));
    }
    const message = decodeMessage(msg.data, NATS_TRANSPORT_ID);
    if (message instanceof MicroError) {
      return this.stream.abort(
        new MicroError(NATS_TRANSPORT_ID, `stream from ${this.remote}: ${message.detail}`, 502),
      );
    }
    const grant = creditGrant(message);
    if (grant === undefined) return this.stream.receive(message);
    // a nest-micro server: the first grant answers the offered window and limits our sending
    this.receiving ??= new ReceiveWindow((increment) => this.grant(increment));
    if (this.sending.grant(grant)) this.stream.drained();
    if (this.releaseWhenSent && this.sending.pending === 0) this.release();
  }

  /** Gives the server `increment` more bytes of credit (a control message, never to go-micro). */
  private grant(increment: number): void {
    if (this.released || !this.nc) return;
    const header = { ...this.base, [CREDIT_HEADER]: String(increment) };
    publishMessage(this.nc, this.remote, { header, body: Buffer.alloc(0) }, this.subject);
  }

  lost(error: MicroError): void {
    this.stream.abort(error);
  }

  private connected(nc: NatsConnection): void {
    if (this.released) return;
    this.nc = nc;
    this.subject = this.side.open(this);
    this.local = this.subject;
    const queued = this.queue ?? [];
    this.queue = undefined;
    for (const message of queued) if (!this.released) this.sending.write(message);
  }

  private publish(message: Message): void {
    this.sent++;
    const error = publishMessage(this.nc!, this.remote, message, this.subject);
    if (error) this.stream.abort(error);
  }
}
