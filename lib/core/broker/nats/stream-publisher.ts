/**
 * JetStream publishes with the stream's acknowledgement, on one reply subscription per connection
 * (`<inbox>.*`, a token per publish) and one timer for all their deadlines. It speaks what the
 * client's `js.publish` does (a PUB with a reply subject and `Nats-Msg-Id`, answered by a PubAck
 * `{"stream","seq","duplicate"}` or `{"error":{…}}`, or by a 503 status when nothing serves
 * JetStream), without what made that the largest cost of a JetStream queue in profiles: a request
 * object, a timer, a Promise.race and an Error (the "cancelled" rejection of every answered request)
 * per publish.
 *
 * Failures are the client's: a JetStreamApiError for an error answer (so `instanceof` and its
 * `code`/`status` work as before), an Error named JetStreamNotEnabled when nothing answered for
 * JetStream, and an Error named TimeoutError once the deadline passed without an answer.
 */
import type { MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { natsJetStream, natsTransportNode } from '../../drivers.js';

/** What the stream said it stored. */
export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

interface Waiting {
  resolve(ack: PubAck): void;
  reject(error: Error): void;
  /** Date.now() after which it fails with a timeout. */
  deadline: number;
}

/** How often deadlines are checked (ms): a timeout fires up to this much late. */
const SWEEP_EVERY = 100;

const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

export class StreamPublisher {
  private readonly prefix: string;
  private readonly sub: Subscription;
  private readonly waiting = new Map<string, Waiting>();
  private next = 0;
  private sweeper?: NodeJS.Timeout;
  private readonly decoder = new TextDecoder();

  constructor(private readonly nc: NatsConnection) {
    this.prefix = `${natsTransportNode().createInbox()}.`;
    this.sub = nc.subscribe(`${this.prefix}*`, {
      callback: (error, msg) => {
        if (!error) this.answer(msg.subject, msg.data, msg.headers);
      },
    });
  }

  /** Publishes `data` to `subject` (de-duplicated by `msgID`); resolves with the stream's ack. */
  publish(subject: string, data: Uint8Array, msgID: string, timeoutMs: number): Promise<PubAck> {
    const token = (this.next++).toString(36);
    const headers = natsTransportNode().headers();
    headers.set('Nats-Msg-Id', msgID);
    return new Promise<PubAck>((resolve, reject) => {
      try {
        this.nc.publish(subject, data, { reply: this.prefix + token, headers });
      } catch (error) {
        reject(error as Error);
        return;
      }
      this.waiting.set(token, { resolve, reject, deadline: Date.now() + timeoutMs });
      this.sweeper ??= setInterval(this.sweep, SWEEP_EVERY).unref();
    });
  }

  /** Stops listening; publishes still waiting fail. */
  close(): void {
    this.sub.unsubscribe();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const error = named('ClosedConnectionError', 'closed');
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }

  private answer(subject: string, data: Uint8Array, headers: MsgHdrs | undefined): void {
    const token = subject.slice(this.prefix.length);
    const waiting = this.waiting.get(token);
    if (!waiting) return; // timed out meanwhile
    this.waiting.delete(token);
    if (data.length === 0 && headers?.code === 503) {
      waiting.reject(named('JetStreamNotEnabled', 'jetstream is not enabled'));
      return;
    }
    let reply: Partial<PubAck> & { error?: { code: number; err_code?: number; description: string } };
    try {
      reply = JSON.parse(this.decoder.decode(data)) as typeof reply;
    } catch (error) {
      waiting.reject(named('JetStreamError', `invalid ack response: ${(error as Error).message}`));
      return;
    }
    if (reply.error) {
      const JS = natsJetStream();
      const refused = new JS.JetStreamApiError(reply.error as never);
      waiting.reject(
        reply.error.err_code === JS.JetStreamApiCodes.JetStreamNotEnabledForAccount
          ? Object.assign(named('JetStreamNotEnabled', refused.message), { cause: refused })
          : refused,
      );
      return;
    }
    if (!reply.stream) {
      waiting.reject(named('JetStreamError', 'invalid ack response'));
      return;
    }
    waiting.resolve({ stream: reply.stream, seq: reply.seq ?? 0, duplicate: reply.duplicate ?? false });
  }

  private readonly sweep = (): void => {
    const now = Date.now();
    for (const [token, waiting] of this.waiting) {
      if (waiting.deadline > now) continue;
      this.waiting.delete(token);
      waiting.reject(named('TimeoutError', 'timeout'));
    }
    if (this.waiting.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };
}
