/**
 * Flow control for streams between two nest-micro nodes over NATS, negotiated so go-micro peers see
 * exactly go-micro's wire. NATS never holds a publisher back, so without it a fast producer fills
 * its consumer's inbox without bound. The tcp transport's credit window is the model:
 * - a nest-micro client puts `Micro-Window: <bytes>` on a stream's first message (the credit it
 *   grants the server; a go-micro server ignores the header and the client never limits itself);
 * - a nest-micro server that sees it answers at once with a control message `Micro-Credit: <bytes>`
 *   (its own window for the client) and from then on both sides spend credit per message sent
 *   (body bytes + MESSAGE_COST) and grant it back, in `Micro-Credit` control messages, as their
 *   application consumes what arrived (every half window). A side out of credit keeps the message
 *   that did not fit and reports `false` from `send` until credit arrives (then `onDrain`).
 * A control message has an empty body and is never handed to the application; go-micro peers never
 * receive one (a client only sends them once the server has answered with one).
 */
import { HEADER } from '../../metadata/headers.js';
import { EOS } from '../stream-wire.js';
import type { Message } from '../transport.js';

/** On a client's first stream message: "I speak credit; you may send me this many bytes". */
export const WINDOW_HEADER = 'micro-window';
/** A control message granting this many more bytes. */
export const CREDIT_HEADER = 'micro-credit';
/** Credit each side starts with, as tcp's window. */
export const NATS_STREAM_WINDOW = 64 * 1024;
/** What a message costs beyond its body: a stream of empty messages is bounded too. */
export const MESSAGE_COST = 64;

/** The credit a message spends (an EOS spends none: it must not wait behind an empty window). */
export function creditSize(message: Message): number {
  return message.header[HEADER.error] === EOS ? 0 : message.body.length + MESSAGE_COST;
}

/** The increment a control message grants, or undefined when `message` is not one. */
export function creditGrant(message: Message): number | undefined {
  const value = message.header[CREDIT_HEADER];
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The window a client advertised on its first message, or undefined (a go-micro client). */
export function advertisedWindow(message: Message): number | undefined {
  const value = message.header[WINDOW_HEADER];
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * The sending half: what the peer granted, what was spent, and the messages waiting for credit.
 * `granted` starts at Infinity for a client whose server has not answered yet.
 */
export class SendWindow {
  private spent = 0;
  private blocked: Message[] = [];

  constructor(
    private granted: number,
    private readonly publish: (message: Message) => void,
  ) {}

  /** Messages (an EOS among them) waiting for credit. */
  get pending(): number {
    return this.blocked.length;
  }

  get limited(): boolean {
    return this.granted !== Infinity;
  }

  /** Publishes `message` or keeps it for later; false when the window is used up. */
  write(message: Message): boolean {
    const size = creditSize(message);
    if (this.blocked.length > 0 || (size > 0 && this.granted - this.spent <= 0)) {
      this.blocked.push(message);
      return false;
    }
    this.spent += size;
    this.publish(message);
    return this.granted - this.spent > 0;
  }

  /**
   * More credit (the first grant turns an unlimited window into a limited one: what was already
   * sent counts). Publishes what now fits; true when nothing waits and there is credit left.
   */
  grant(increment: number): boolean {
    this.granted = this.limited ? this.granted + increment : increment;
    while (this.blocked.length > 0) {
      const next = this.blocked[0]!;
      const size = creditSize(next);
      if (size > 0 && this.granted - this.spent <= 0) return false;
      this.blocked.shift();
      this.spent += size;
      this.publish(next);
    }
    return this.granted - this.spent > 0;
  }

  clear(): void {
    this.blocked = [];
  }
}

/** The receiving half: grants back what the application consumed, every half window. */
export class ReceiveWindow {
  private consumed = 0;

  constructor(private readonly grant: (increment: number) => void) {}

  consume(message: Message): void {
    this.consumed += creditSize(message);
    if (this.consumed < NATS_STREAM_WINDOW / 2) return;
    const increment = this.consumed;
    this.consumed = 0;
    this.grant(increment);
  }
}
