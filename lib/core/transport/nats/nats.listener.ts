/**
 * The server half of the NATS transport (go-micro's transport/nats listener): a connection of its
 * own subscribed to the listen subject, which is the node's address. Each message's reply subject
 * is its client's: a message without `Micro-Stream` is a unary call, answered on the reply subject
 * with its `Micro-ID`; messages with it belong to the stream (reply subject, id), opened by its first
 * message, ended by EOS both ways. A client's in-band error cancels its stream. Malformed input is
 * answered with a 400 and goes no further; a message with no reply subject has nobody to answer and
 * is dropped. A client that offers a credit window (`Micro-Window`, a nest-micro client) gets one:
 * the stream is flow controlled both ways (nats.flow.ts); a go-micro client sees go-micro's wire.
 * A stream silent for `streamIdleTimeout` ends with a 408; a lost connection to NATS
 * ends every stream with a 503. `close` refuses new work (retryable), lets open streams finish for
 * the grace period, then drains the connection (replies already published are delivered).
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { natsTransportNode } from '../../drivers.js';
import { ERROR_ID } from '../../errors/ids.js';
import { MicroError } from '../../errors/micro-error.js';
import { HEADER } from '../../metadata/headers.js';
import { natsConnectionOptions } from '../../nats/connection.js';
import { NatsLink } from '../../nats/link.js';
import { DEFAULT_MAX_BODY } from '../../limits.js';
import { HttpStreamSocket, type StreamLink } from '../http/stream-socket.js';
import { IdleStreams } from '../idle-streams.js';
import { EOS, errorMessage } from '../stream-wire.js';
import type { Acceptor, Listener, ListenOptions, Message } from '../transport.js';
import { listenSubject, type ResolvedNatsTransportOptions } from './nats.options.js';
import { publishMessage } from './nats.publish.js';
import { decodeMessage } from './nats.wire.js';
import {
  advertisedWindow,
  CREDIT_HEADER,
  creditGrant,
  NATS_STREAM_WINDOW,
  ReceiveWindow,
  SendWindow,
  WINDOW_HEADER,
} from './nats.flow.js';

/** The credit windows of a stream whose client offered one. */
interface Flow {
  sending: SendWindow;
  receiving: ReceiveWindow;
  /** Set when both sides ended while messages wait for credit: forgets the stream. */
  releaseWhenSent?: () => void;
}

const SERVER_ID = ERROR_ID.server;

export async function listenNats(
  address: string,
  acceptor: Acceptor,
  options: ListenOptions,
  transport: ResolvedNatsTransportOptions,
): Promise<Listener> {
  const subject = listenSubject(address, () => natsTransportNode().createInbox());
  const server = new NatsServerSide(subject, acceptor, options.maxBodySize ?? DEFAULT_MAX_BODY, transport);
  await server.start();
  return server;
}

class NatsServerSide implements Listener {
  private readonly link: NatsLink;
  private readonly streams = new Map<string, HttpStreamSocket>();
  private readonly flows = new Map<HttpStreamSocket, Flow>();
  private readonly idle: IdleStreams<HttpStreamSocket>;
  private nc?: NatsConnection;
  private closing?: Promise<void>;
  private settled?: () => void;

  constructor(
    readonly address: string,
    private readonly acceptor: Acceptor,
    private readonly maxBody: number,
    transport: ResolvedNatsTransportOptions,
  ) {
    const connection = natsConnectionOptions(
      transport.servers,
      `${transport.name}-listener`,
      transport.connection,
    );
    this.link = new NatsLink(connection, SERVER_ID, {
      disconnected: () => this.abortAll('the connection to NATS was lost'),
    });
    this.idle = new IdleStreams(
      transport.streamIdleTimeout,
      this.streams,
      (stream, error) => stream.close(error),
      SERVER_ID,
    );
  }

  async start(): Promise<void> {
    const nc = await this.link.get();
    this.nc = nc;
    nc.subscribe(this.address, {
      callback: (error, msg) => {
        if (!error) this.receive(msg);
      },
    });
    await nc.flush(); // the subscription is in place before the node is announced
  }

  close(graceMs = 5_000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    if (this.streams.size > 0) {
      await new Promise<void>((resolve) => {
        this.settled = resolve;
        const timer = setTimeout(resolve, graceMs);
        timer.unref?.();
      });
    }
    this.abortAll('the server is closing', true);
    this.idle.stop();
    await this.link.close();
  }

  private receive(msg: Msg): void {
    const reply = msg.reply;
    if (!reply) return;
    const message = decodeMessage(msg.data, SERVER_ID);
    if (message instanceof MicroError) return this.send(reply, errorMessage(message));
    const header = message.header;
    const id = header[HEADER.stream];
    const tag: Record<string, string> = {};
    if (id) tag[HEADER.stream] = id;
    else if (header[HEADER.id]) tag[HEADER.id] = header[HEADER.id];
    if (message.body.length > this.maxBody) {
      const detail = `message body of ${message.body.length} bytes exceeds the limit of ${this.maxBody}`;
      if (id) this.streams.get(`${reply} ${id}`)?.abort(MicroError.payloadTooLarge(SERVER_ID, detail));
      return this.send(reply, errorMessage(MicroError.payloadTooLarge(SERVER_ID, detail), tag));
    }
    if (id) return this.streamMessage(reply, id, message);
    if (this.closing) return this.send(reply, errorMessage(draining(), tag));
    this.acceptor.call(message, (out) => this.send(reply, withId(out, header[HEADER.id])), {
      local: this.address,
      remote: reply,
    });
  }

  private streamMessage(reply: string, id: string, message: Message): void {
    const key = `${reply} ${id}`;
    const existing = this.streams.get(key);
    const error = message.header[HEADER.error];
    const grant = creditGrant(message);
    if (existing) {
      if (grant !== undefined) {
        const flow = this.flows.get(existing);
        if (flow?.sending.grant(grant)) existing.drained();
        if (flow?.sending.pending === 0) flow.releaseWhenSent?.();
      } else if (error && error !== EOS)
        existing.abort(MicroError.parse(error, SERVER_ID)); // the client cancelled
      else existing.receive(message);
      return;
    }
    // the end of (an error on, credit for) a stream that is already over
    if (error || grant !== undefined) return;
    if (this.closing) return this.send(reply, errorMessage(draining(), { [HEADER.stream]: id }));
    const stream = new HttpStreamSocket(id, this.streamLink(reply, key));
    this.streams.set(key, stream);
    this.idle.watch();
    const window = advertisedWindow(message);
    if (window !== undefined) {
      delete message.header[WINDOW_HEADER];
      this.flows.set(stream, this.flow(reply, stream, window));
      // answers the offer before anything else: the client limits its sending from here
      this.send(reply, credit(id, NATS_STREAM_WINDOW));
    }
    stream.receive(message);
    try {
      this.acceptor.stream(stream);
    } catch (thrown) {
      stream.close(MicroError.internalServerError(SERVER_ID, (thrown as Error)?.message ?? 'error'));
    }
  }

  private streamLink(reply: string, key: string): StreamLink {
    const release = this.releaser(key);
    return {
      local: this.address,
      remote: reply,
      write: (stream, message) => {
        const tagged = { header: { ...message.header, [HEADER.stream]: stream.id }, body: message.body };
        const flow = this.flows.get(stream);
        if (flow) return flow.sending.write(tagged);
        this.send(reply, tagged, stream);
        return true;
      },
      // without a credit window NATS cannot hold the client back: messages wait in the stream's inbox
      hold: () => undefined,
      consumed: (stream, message) => this.flows.get(stream)?.receiving.consume(message),
      abort: (stream, error) => {
        this.send(reply, errorMessage(error ?? draining(), { [HEADER.stream]: stream.id }));
        const flow = this.flows.get(stream);
        flow?.sending.clear();
        flow?.releaseWhenSent?.();
      },
      release,
    };
  }

  /**
   * Forgets a stream both sides ended (or that failed); one whose last messages still wait for
   * credit stays until they are sent (or the stream is aborted, e.g. by the idle sweep).
   */
  private releaser(key: string): (stream: HttpStreamSocket) => void {
    const release = (stream: HttpStreamSocket): void => {
      const flow = this.flows.get(stream);
      if (flow && flow.sending.pending > 0 && !stream.aborted) {
        flow.releaseWhenSent = () => release(stream);
        return;
      }
      this.flows.delete(stream);
      if (this.streams.get(key) === stream) this.streams.delete(key);
      if (this.streams.size === 0) this.settled?.();
    };
    return release;
  }

  private flow(reply: string, stream: HttpStreamSocket, window: number): Flow {
    return {
      sending: new SendWindow(window, (message) => this.send(reply, message, stream)),
      receiving: new ReceiveWindow((increment) => {
        if (this.flows.has(stream)) this.send(reply, credit(stream.id, increment));
      }),
    };
  }

  /** Publishes to a client; a message too large for NATS becomes the 413 it is (ending its stream). */
  private send(reply: string, message: Message, stream?: HttpStreamSocket): void {
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    const error = publishMessage(nc, reply, message, undefined, SERVER_ID);
    if (error?.code !== 413) return;
    const tag: Record<string, string> = {};
    for (const key of [HEADER.stream, HEADER.id]) if (message.header[key]) tag[key] = message.header[key];
    publishMessage(nc, reply, errorMessage(error, tag), undefined, SERVER_ID);
    stream?.abort(error);
  }

  private abortAll(reason: string, retryable = false): void {
    const error = MicroError.unavailable(SERVER_ID, `nats transport: ${reason}`, retryable);
    for (const stream of this.streams.values()) stream.close(error);
  }
}

/** A control message granting the client `increment` more bytes on stream `id`. */
function credit(id: string, increment: number): Message {
  return { header: { [HEADER.stream]: id, [CREDIT_HEADER]: String(increment) }, body: Buffer.alloc(0) };
}

function draining(): MicroError {
  return MicroError.unavailable(SERVER_ID, 'the server is closing; retry on another node', true);
}

/** A unary reply carries its request's `Micro-ID` (how a multiplexing client matches it). */
function withId(message: Message, id: string | undefined): Message {
  if (id === undefined || message.header[HEADER.id] !== undefined) return message;
  return { header: { ...message.header, [HEADER.id]: id }, body: message.body };
}
