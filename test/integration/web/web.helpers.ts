/**
 * Helpers of the dashboard's integration tests: a Nest service with unary, failing and stream
 * endpoints (the streaming suite's ChatController and a greeter) on a memory registry and broker,
 * a caller whose client the dashboard uses, a reader of Server-Sent Events and a WebSocket client
 * that collects frames.
 */
import 'reflect-metadata';
import { Controller, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import WebSocket from 'ws';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { Handler, MicroClient, MicroError, MicroModule } from '../../../lib/index.js';
import { closePair, startPair } from '../../support/apps.js';
import { ChatController, TagInterceptor } from '../streaming/chat.fixture.js';

@Controller()
class GreeterController {
  @Handler('Greeter.Hello')
  hello(@Payload() req: { name?: string }): { message: string } {
    return { message: `Hello ${req?.name ?? 'nobody'}` };
  }

  @Handler('Greeter.Fail')
  fail(): never {
    throw MicroError.conflict('greeter', 'it failed on purpose');
  }
}

export interface WebApps {
  registry: MemoryRegistry;
  broker: MemoryBroker;
  /** The caller's client, which the dashboard calls through. */
  client: MicroClient;
  close(): Promise<void>;
}

/** The chat service and a caller app on one memory registry and broker; `callerImports` join the caller. */
export async function startWebApps(
  callerImports: DynamicModule[] = [],
): Promise<WebApps & { caller: INestApplication }> {
  const registry = new MemoryRegistry();
  const broker = new MemoryBroker();
  @Module({
    imports: [MicroModule.forRoot({ name: 'chat', address: '127.0.0.1:0', registry, broker, env: false })],
    controllers: [ChatController, GreeterController],
    providers: [TagInterceptor],
  })
  class ServiceModule {}
  @Module({
    imports: [MicroModule.forRoot({ name: 'dashboard', registry, broker, env: false }), ...callerImports],
  })
  class CallerModule {}
  const pair = await startPair(ServiceModule, CallerModule);
  return {
    registry,
    broker,
    caller: pair.caller,
    client: pair.caller.get(MicroClient),
    close: () => closePair(pair),
  };
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** An SSE response read event by event; `close()` aborts it. */
export class SseReader {
  private buffer = '';
  private readonly events: SseEvent[] = [];
  private waiting?: () => void;
  private readonly controller = new AbortController();
  response!: Response;
  /** Resolves when the server ends the response (or it is aborted). */
  ended: Promise<void> = Promise.resolve();

  static async open(url: string, init: RequestInit = {}): Promise<SseReader> {
    const reader = new SseReader();
    reader.response = await fetch(url, { ...init, signal: reader.controller.signal });
    if (reader.response.ok) reader.ended = reader.pump();
    return reader;
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) !== -1) {
          const block = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          this.events.push({ event, data: JSON.parse(data.join('\n')) });
          this.waiting?.();
        }
      }
    } catch {
      // aborted
    }
  }

  /** The next event that `match` accepts (earlier ones are skipped). */
  async next(match: (e: SseEvent) => boolean = () => true): Promise<SseEvent> {
    for (;;) {
      const i = this.events.findIndex(match);
      if (i !== -1) return this.events.splice(0, i + 1).at(-1)!;
      this.events.length = 0;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  close(): void {
    this.controller.abort();
  }
}

export interface Frame {
  type: string;
  data?: unknown;
  error?: { id: string; code: number; detail: string; status: string };
  cancelled?: boolean;
}

/** A WebSocket to the stream route, collecting frames until the server closes it. */
export class StreamSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<number>;
  private waiting?: () => void;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      this.frames.push(JSON.parse(String(raw)) as Frame);
      this.waiting?.();
    });
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  }

  static open(url: string): Promise<StreamSocket> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new StreamSocket(socket)));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** Refused before the upgrade: the HTTP status. */
  static refused(url: string, options?: WebSocket.ClientOptions): Promise<number> {
    const socket = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('open', () => reject(new Error('the upgrade was accepted')));
      socket.once('error', () => undefined);
    });
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  async until(count: number): Promise<Frame[]> {
    while (this.frames.length < count) await new Promise<void>((resolve) => (this.waiting = resolve));
    return this.frames;
  }
}
