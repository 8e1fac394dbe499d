/**
 * One stream over go-micro's HTTP stream framing, on either side: the `Socket` of transport.ts.
 * Every message is one HTTP/1.1 message carrying `Micro-Stream: <id>`; `end()` sends go-micro's
 * EOS (`Micro-Error: EOS`, empty body) and an arriving EOS ends the peer's side. HTTP has no
 * per-stream window: `send` reports the connection's write backpressure, and `pause()` stops
 * reading the connection (TCP's own window then holds the peer back). Every message sent or
 * received marks the stream as moving, for the server's idle-stream sweep (../idle-streams.ts).
 */
import { MicroError } from '../../errors/micro-error.js';
import { HEADER } from '../../metadata/headers.js';
import { EOS } from '../stream-wire.js';
import type { IdleTracked } from '../idle-streams.js';
import type { Message, Socket } from '../transport.js';
import { ERROR_ID } from '../../errors/ids.js';

/** What a stream needs from the HTTP connection it rides on. */
export interface StreamLink {
  readonly local: string;
  readonly remote: string;
  /** Writes one message of `stream`; false when the connection's buffer is full. */
  write(stream: HttpStreamSocket, message: Message): boolean;
  /** `stream` wants (true) or no longer wants (false) the connection's reading paused. */
  hold(stream: HttpStreamSocket, paused: boolean): void;
  /** Aborts `stream` towards the peer (error in band, or the connection dropped). */
  abort(stream: HttpStreamSocket, error: MicroError | undefined): void;
  /** Both sides are done. */
  release(stream: HttpStreamSocket): void;
  /** `message` was handed to the application (a link with a credit window grants it back). */
  consumed?(stream: HttpStreamSocket, message: Message): void;
}

const EMPTY: Buffer = Buffer.alloc(0);

export class HttpStreamSocket implements Socket, IdleTracked {
  moved = true;
  quiet = 0;
  private inbox: Message[] = [];
  private paused = false;
  private localEnded = false;
  private remoteEnded = false;
  private finished = false;
  private released = false;
  private endResult: { error?: MicroError } | undefined;
  private endFired = false;
  private messageListener: ((message: Message) => void) | undefined;
  private endListener: ((error?: MicroError) => void) | undefined;
  private drainListener: (() => void) | undefined;
  wantDrain = false;

  constructor(
    readonly id: string,
    private readonly link: StreamLink,
  ) {}

  /** The stream failed or was aborted (not a clean end of both sides). */
  get aborted(): boolean {
    return this.finished;
  }

  get local(): string {
    return this.link.local;
  }

  get remote(): string {
    return this.link.remote;
  }

  send(message: Message): boolean {
    if (this.finished || this.localEnded) return false;
    this.moved = true;
    const ok = this.link.write(this, message);
    if (!ok) this.wantDrain = true;
    return ok;
  }

  onMessage(listener: (message: Message) => void): void {
    this.messageListener = listener;
    this.flush();
  }

  onEnd(listener: (error?: MicroError) => void): void {
    this.endListener = listener;
    if (this.endResult && !this.endFired) this.fireEnd();
  }

  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.link.hold(this, true);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.link.hold(this, false);
    this.flush();
  }

  end(body: Buffer = EMPTY): void {
    if (this.localEnded || this.finished) return;
    this.link.write(this, { header: { [HEADER.error]: EOS }, body });
    this.localEnded = true;
    if (this.remoteEnded) this.release();
  }

  close(error?: MicroError): void {
    if (this.finished) return;
    this.link.abort(this, error);
    this.abort(error ?? cancelled());
  }

  // ---- called by the connection ----

  /** A message for this stream arrived; EOS ends the peer's side. */
  receive(message: Message): void {
    if (this.finished || this.remoteEnded) return;
    this.moved = true;
    if (message.header[HEADER.error] === EOS) {
      this.remoteEnded = true;
      this.flush();
      if (this.localEnded) this.release();
      return;
    }
    if (this.messageListener && this.inbox.length === 0 && !this.paused) this.deliver(message);
    else this.inbox.push(message);
  }

  /** The connection's peer can send nothing more: a stream it had not ended fails with `error`. */
  peerEnded(error: MicroError): void {
    if (!this.remoteEnded) this.abort(error);
  }

  drained(): void {
    if (!this.wantDrain || this.finished) return;
    this.wantDrain = false;
    safe(this.drainListener);
  }

  /** The connection is gone or the stream failed: end with `error`, drop what is undelivered. */
  abort(error: MicroError): void {
    if (this.finished) return;
    this.finished = true;
    this.inbox = [];
    if (this.paused) {
      this.paused = false;
      this.link.hold(this, false);
    }
    this.release();
    this.emitEnd(error);
  }

  private flush(): void {
    const listener = this.messageListener;
    if (listener !== undefined) {
      while (this.inbox.length > 0 && this.messageListener === listener && !this.paused) {
        this.deliver(this.inbox.shift()!);
      }
    }
    if (this.inbox.length === 0 && this.remoteEnded && !this.finished) this.emitEnd(undefined);
  }

  private deliver(message: Message): void {
    try {
      this.messageListener!(message);
    } catch {
      /* a listener's exception must not break the connection */
    }
    if (!this.finished) this.link.consumed?.(this, message);
  }

  private emitEnd(error: MicroError | undefined): void {
    if (this.endResult) return;
    this.endResult = { error };
    if (this.endListener) this.fireEnd();
  }

  private fireEnd(): void {
    this.endFired = true;
    const listener = this.endListener!;
    safe(() => listener(this.endResult!.error));
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.link.release(this);
  }
}

export function cancelled(): MicroError {
  return new MicroError(ERROR_ID.transportHttp, 'stream cancelled', 499, 'Client Closed Request');
}

function safe(fn: (() => void) | undefined): void {
  if (!fn) return;
  try {
    fn();
  } catch {
    /* listeners must not break the connection */
  }
}
