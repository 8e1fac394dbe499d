/**
 * MicroServer: nest-micro's Nest CustomTransportStrategy. It serves the module's handlers over the
 * configured transport and codecs, announces the node to the registry, and feeds broker messages
 * to @Subscriber handlers.
 *
 * listen: beforeStart hooks → transport listen → broker connect → register (3 attempts) →
 * subscribe → afterStart hooks.
 * close (idempotent): beforeStop hooks → deregister → unsubscribe → keep serving for
 * `propagationDelay` → refuse new calls (retryable "draining") → wait for in-flight calls (up to
 * `drainTimeout`) → close the listener → disconnect the broker → afterStop hooks.
 * `Debug.Health` answers {"status":"ok"} (go-micro's debug handler); `ready` turns false while
 * stopping.
 */
import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { BrokerEvent, Subscription } from '../broker/broker.js';
import { Codecs } from '../codec/codecs.js';
import { MICRO_TRANSPORT, microExtras } from '../decorators/handler-meta.js';
import { MicroError } from '../errors/micro-error.js';
import { toMicroError } from '../errors/from-unknown.js';
import { HEADER, ROUTING_HEADERS, timeoutHeaderToMs } from '../metadata/headers.js';
import { Metadata } from '../metadata/metadata.js';
import type { ResolvedOptions } from '../options.js';
import type { Service } from '../registry/registry.js';
import type { Header, Listener, Message, Peer, Reply } from '../transport/transport.js';
import { advertisedAddress } from './advertise.js';
import { runInCallScope } from './call-scope.js';
import { describeEndpoints } from './endpoints.js';
import { MicroContext } from './micro-context.js';
import { Registrar } from './registrar.js';

const EMPTY = Buffer.alloc(0);
const HEALTH_ENDPOINT = 'Debug.Health';

async function runHooks(stage: string, hooks: Array<() => unknown>): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      throw new Error(
        `nest-micro: ${stage} hook failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}

export class MicroServer extends Server implements CustomTransportStrategy {
  override readonly transportId = MICRO_TRANSPORT;
  protected override readonly logger = new Logger('MicroServer');
  private readonly codecs: Codecs;
  private listener?: Listener;
  private registrar?: Registrar;
  private subscriptions: Subscription[] = [];
  private inflight = 0;
  private drained?: () => void;
  private draining = false;
  private closing?: Promise<void>;
  private announced?: Service;
  private started = false;

  constructor(readonly options: ResolvedOptions) {
    super();
    this.codecs = new Codecs(options.codecs);
  }

  /** Async microservice options that take the strategy from MicroModule (no options repeated). */
  static fromModule(): {
    inject: [typeof MicroServer];
    useFactory: (server: MicroServer) => { strategy: MicroServer };
  } {
    return { inject: [MicroServer], useFactory: (server: MicroServer) => ({ strategy: server }) };
  }

  /** The service as announced to the registry (after listen). */
  get service(): Service | undefined {
    return this.announced;
  }

  /** Ready to take calls: started and not stopping. */
  get ready(): boolean {
    return this.started && this.closing === undefined;
  }

  /** The bound listen address (after listen). */
  get address(): string | undefined {
    return this.listener?.address;
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  on(): never {
    throw new Error('MicroServer does not expose transport events; use the registry and broker directly');
  }

  unwrap<T>(): T {
    return { listener: this.listener, options: this.options } as T;
  }

  private async start(): Promise<void> {
    const o = this.options;
    const { transport, broker, registry } = o;
    await runHooks('beforeStart', o.hooks.beforeStart);
    this.listener = await transport.listen(
      o.address,
      {
        call: (request, reply, peer) => this.onCall(request, reply, peer),
        stream: (socket) =>
          socket.close(MicroError.methodNotAllowed(o.name, 'streaming endpoints are not served yet')),
      },
      { maxBodySize: o.maxBodySize },
    );
    try {
      await broker.connect();
      this.announced = this.describe(advertisedAddress(this.listener.address, o.advertise));
      this.registrar = new Registrar({
        registry,
        service: this.announced,
        interval: o.registerInterval,
        ttl: o.registerTTL,
      });
      await this.registrar.start();
      await this.subscribeAll();
      await runHooks('afterStart', o.hooks.afterStart);
      this.started = true;
      this.logger.log(
        `${o.name} listening on ${this.listener.address} (${transport.name}, ${registry.name} registry, ${broker.name} broker)`,
      );
    } catch (error) {
      await this.shutdown().catch(() => undefined);
      throw error;
    }
  }

  private describe(address: string): Service {
    const o = this.options;
    return {
      name: o.name,
      version: o.version,
      metadata: { ...o.metadata },
      endpoints: describeEndpoints(this.getHandlers()),
      nodes: [
        {
          id: o.id,
          address,
          metadata: {
            ...o.metadata,
            transport: o.transport.name,
            broker: o.broker.name,
            registry: o.registry.name,
            server: 'mucp',
            protocol: 'mucp',
          },
        },
      ],
    };
  }

  private async subscribeAll(): Promise<void> {
    for (const [topic, handler] of this.getHandlers()) {
      if (!handler.isEventHandler) continue;
      const micro = microExtras(handler.extras);
      const subscription = await this.options.broker.subscribe(
        topic,
        (event) => this.onEvent(topic, handler, event),
        {
          queue: micro?.queue,
          autoAck: micro?.ack !== 'manual',
        },
      );
      this.subscriptions.push(subscription);
    }
  }

  private onCall(request: Message, reply: Reply, peer: Peer): void {
    const header = request.header;
    const id = header[HEADER.id] ?? '';
    const contentType = header[HEADER.contentType] || this.codecs.default.contentType;
    const fail = (error: unknown): void =>
      reply(errorReply(toMicroError(error, this.options.name), id, contentType));
    let endpoint = header[HEADER.endpoint] || header[HEADER.method] || '';
    if (endpoint === HEALTH_ENDPOINT && !this.messageHandlers.has(endpoint)) {
      return this.health(id, contentType, reply, fail);
    }
    if (this.draining) {
      return fail(
        MicroError.unavailable(
          this.options.name,
          `${this.options.name} is draining; retry on another node`,
          true,
        ),
      );
    }
    try {
      const codec = this.codecs.get(contentType);
      if (!endpoint) endpoint = codec.decodeRequest(request.body).header?.endpoint ?? '';
      const handler = this.messageHandlers.get(endpoint);
      if (!handler || handler.isEventHandler) {
        return fail(
          MicroError.notFound(
            this.options.name,
            `unknown endpoint ${endpoint || '(none)'} on service ${this.options.name}`,
          ),
        );
      }
      const micro = microExtras(handler.extras);
      const data = codec.decodeRequest(request.body, micro?.requestSchema).body;
      const context = new MicroContext({
        service: this.options.name,
        endpoint,
        id,
        metadata: metadataOf(header),
        remote: peer.remote,
        local: peer.local,
        contentType,
        deadline: deadlineOf(header),
      });
      this.track(+1);
      const done = (error: unknown, value?: unknown): void => {
        this.track(-1);
        if (error !== undefined) return fail(error);
        try {
          const body = codec.encodeResponse({ id, endpoint }, value, micro?.responseSchema);
          reply({ header: { [HEADER.contentType]: contentType, [HEADER.id]: id }, body });
        } catch (encodeError) {
          fail(encodeError);
        }
      };
      this.invoke(handler, data, context, done);
    } catch (error) {
      fail(error);
    }
  }

  /** Runs a Nest-wrapped handler and reports its (last) value or its error exactly once. */
  private invoke(
    handler: MessageHandler,
    data: unknown,
    context: MicroContext,
    done: (error: unknown, value?: unknown) => void,
  ): void {
    let result: Promise<unknown>;
    try {
      result = runInCallScope(context, () => handler(data, context));
    } catch (error) {
      return done(error ?? new Error('handler failed'));
    }
    result.then(
      (out) => {
        if (!isObservable(out)) return done(undefined, out);
        let last: unknown;
        out.subscribe({
          next: (v) => (last = v),
          error: (e: unknown) => done(e ?? new Error('handler failed')),
          complete: () => done(undefined, last),
        });
      },
      (error: unknown) => done(error ?? new Error('handler failed')),
    );
  }

  private async onEvent(topic: string, first: MessageHandler, event: BrokerEvent): Promise<void> {
    const header = event.message.header;
    const contentType = header[HEADER.contentType] || this.codecs.default.contentType;
    const codec = this.codecs.get(contentType);
    const micro = microExtras(first.extras);
    const data = codec.unmarshal(event.message.body, micro?.requestSchema);
    const context = new MicroContext({
      service: this.options.name,
      endpoint: topic,
      id: header[HEADER.id] ?? '',
      metadata: metadataOf(header),
      remote: '',
      local: this.listener?.address ?? '',
      contentType,
      topic,
    });
    this.track(+1);
    try {
      for (let handler: MessageHandler | undefined = first; handler; handler = handler.next) {
        const h = handler;
        const out = await runInCallScope(context, () => h(data, context));
        if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
      }
    } finally {
      this.track(-1);
    }
  }

  private track(delta: number): void {
    this.inflight += delta;
    if (this.inflight === 0 && this.drained) this.drained();
  }

  private health(id: string, contentType: string, reply: Reply, fail: (error: unknown) => void): void {
    try {
      const body = this.codecs
        .get(contentType)
        .encodeResponse({ id, endpoint: HEALTH_ENDPOINT }, { status: 'ok' });
      reply({ header: { [HEADER.contentType]: contentType, [HEADER.id]: id }, body });
    } catch (error) {
      fail(error);
    }
  }

  private async shutdown(): Promise<void> {
    const o = this.options;
    const wasStarted = this.started;
    this.started = false;
    if (wasStarted)
      await runHooks('beforeStop', o.hooks.beforeStop).catch((e: unknown) => this.logger.warn(String(e)));
    await this.registrar?.stop();
    await Promise.allSettled(this.subscriptions.map((s) => s.unsubscribe()));
    this.subscriptions = [];
    if (wasStarted && o.propagationDelay > 0) await new Promise((r) => setTimeout(r, o.propagationDelay));
    this.draining = true;
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.drainTimeout);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.listener?.close(1_000);
    await o.broker
      .disconnect()
      .catch((error: unknown) => this.logger.warn(`broker disconnect failed: ${String(error)}`));
    if (wasStarted) {
      this.logger.log(`${o.name} stopped and deregistered`);
      await runHooks('afterStop', o.hooks.afterStop).catch((e: unknown) => this.logger.warn(String(e)));
    }
  }
}

function metadataOf(header: Header): Metadata {
  const metadata = new Metadata();
  for (const key of Object.keys(header)) if (!ROUTING_HEADERS.has(key)) metadata.set(key, header[key]!);
  return metadata;
}

function deadlineOf(header: Header): number | undefined {
  const ms = timeoutHeaderToMs(header[HEADER.timeout]);
  return ms === undefined ? undefined : Date.now() + ms;
}

function errorReply(error: MicroError, id: string, contentType: string): Message {
  return {
    header: { [HEADER.error]: error.toString(), [HEADER.id]: id, [HEADER.contentType]: contentType },
    body: EMPTY,
  };
}
