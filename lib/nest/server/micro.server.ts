/**
 * MicroServer: nest-micro's Nest CustomTransportStrategy. It serves the module's handlers over the
 * configured transport and codecs, announces the node to the registry, and feeds broker messages
 * to @Subscriber handlers.
 *
 * listen: beforeStart hooks → transport listen → broker connect → register (3 attempts) →
 * subscribe → afterStart hooks.
 * close (idempotent): beforeStop hooks → deregister → unsubscribe → keep serving for
 * `propagationDelay` → refuse new calls and streams (retryable "draining") → wait for in-flight
 * calls and open streams (up to `drainTimeout`) → close the listener → disconnect the broker → afterStop hooks.
 * `Debug.Health` answers {"status":"ok"} (go-micro's debug handler) until the server drains, then the
 * retryable 503 "draining" refusal; `ready` turns false as soon as stopping starts.
 */
import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import '../nest-logger.js';
import type { Subscription } from '../../core/broker/broker.js';
import { Codecs } from '../../core/codec/codecs.js';
import { MICRO_TRANSPORT, microExtras } from '../decorators/handler-meta.js';
import { MicroError } from '../../core/errors/micro-error.js';
import type { ResolvedOptions } from '../options.js';
import { FRAMEWORK, FRAMEWORK_KEY, type Service } from '../../core/registry/registry.js';
import type { Listener, Socket } from '../../core/transport/transport.js';
import { advertisedAddress } from './advertise.js';
import { describeEndpoints } from './endpoints.js';
import { dispatchEvent } from './event-dispatcher.js';
import { HandlerInvoker } from './handler-invoker.js';
import { ServerLimits } from './limits.js';
import { DebugStats } from '../../core/metrics/debug-stats.js';
import { Registrar } from './registrar.js';
import type { DispatcherHost } from './incoming.js';
import { dispatchCall } from './rpc-dispatcher.js';
import { dispatchStream } from './stream-dispatcher.js';
import { logUnhandledRxErrors } from './unhandled-rx-errors.js';
import { errorText } from '../../core/errors/error-text.js';

export class MicroServer extends Server implements CustomTransportStrategy {
  override readonly transportId = MICRO_TRANSPORT;
  protected override readonly logger = new Logger('MicroServer');
  private readonly host: DispatcherHost;
  private listener?: Listener;
  private registrar?: Registrar;
  private subscriptions: Subscription[] = [];
  private inflight = 0;
  private drained?: () => void;
  private draining = false;
  private closing?: Promise<void>;
  private announced?: Service;
  private started = false;
  /** Releases the rxjs unhandled-error hook taken while serving. */
  private releaseRxHook?: () => void;
  /** Function mode (go-micro's NewFunction): serve one call or event, then report it. */
  private once?: { taken: boolean; served: Promise<void>; resolve: () => void };

  constructor(readonly options: ResolvedOptions) {
    super();
    const codecs = new Codecs(options.codecs);
    const invoker = new HandlerInvoker(options.validation);
    this.host = {
      service: options.name,
      codecs,
      invoker,
      handler: (endpoint) => this.messageHandlers.get(endpoint),
      refusal: () => {
        if (this.draining) {
          return MicroError.unavailable(
            options.name,
            `${options.name} is draining; retry on another node`,
            true,
          );
        }
        if (this.once?.taken) {
          return MicroError.unavailable(
            options.name,
            `${options.name} is a function and has taken its call`,
            true,
          );
        }
        return null;
      },
      track: (delta) => this.track(delta),
      limits: new ServerLimits(options.name, options),
      stats: new DebugStats(),
    };
  }

  /** Async microservice options that take the strategy from MicroModule (no options repeated). */
  static fromModule(): {
    inject: [typeof MicroServer];
    useFactory: (server: MicroServer) => { strategy: MicroServer };
  } {
    return { inject: [MicroServer], useFactory: (server: MicroServer) => ({ strategy: server }) };
  }

  /**
   * Function mode: accept exactly one call (or event); later ones are refused as retryable.
   * Resolves once that one has been answered. Call before `listen`.
   */
  serveOnce(): Promise<void> {
    if (!this.once) {
      let resolve!: () => void;
      const served = new Promise<void>((r) => (resolve = r));
      this.once = { taken: false, served, resolve };
    }
    return this.once.served;
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
    this.releaseRxHook ??= logUnhandledRxErrors(this.logger);
    this.listener = await transport.listen(
      o.address,
      {
        call: (request, reply, peer) => dispatchCall(this.host, request, reply, peer),
        stream: (socket: Socket) => dispatchStream(this.host, socket),
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
            [FRAMEWORK_KEY]: FRAMEWORK,
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
        (event) =>
          dispatchEvent(this.host, topic, handler as MessageHandler, event, {
            local: this.listener?.address ?? '',
            broker: this.options.broker.name,
          }),
        { queue: micro?.queue, autoAck: micro?.ack !== 'manual' },
      );
      this.subscriptions.push(subscription);
    }
  }

  private track(delta: number): void {
    this.inflight += delta;
    if (this.once && delta > 0) this.once.taken = true;
    if (this.inflight === 0 && this.once?.taken) setImmediate(this.once.resolve);
    if (this.inflight === 0 && this.drained) this.drained();
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
    this.releaseRxHook?.();
    this.releaseRxHook = undefined;
    if (wasStarted) {
      this.logger.log(`${o.name} stopped and deregistered`);
      await runHooks('afterStop', o.hooks.afterStop).catch((e: unknown) => this.logger.warn(String(e)));
    }
  }
}

async function runHooks(stage: string, hooks: Array<() => unknown>): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      throw new Error(`nest-micro: ${stage} hook failed: ${errorText(error)}`, { cause: error });
    }
  }
}
