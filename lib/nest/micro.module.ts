/**
 * MicroModule: the Nest entry point. `forRoot`/`forRootAsync` resolve the options once (defaults
 * and MICRO_* environment in one place) and provide the MicroServer strategy, an unbound
 * MicroClient, and the error filter; `registerClients`/`registerClientsAsync` add clients bound to
 * a service under injection tokens, as ClientsModule.register does.
 */
import {
  Module,
  type DynamicModule,
  type FactoryProvider,
  type InjectionToken,
  type ModuleMetadata,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { ClientCallOptions } from '../core/client/call-options.js';
import { MicroClient } from './client/micro.client.js';
import { MICRO_OPTIONS } from './micro.constants.js';
import { MicroHealth } from './health/micro.health.js';
import { MicroLifecycle } from './micro.lifecycle.js';
import './nest-logger.js';
import { useTraceContextLogger } from './logging/trace-context.logger.js';
import { resolveOptions, type MicroOptions, type ResolvedOptions } from './options.js';
import { MicroExceptionFilter } from './server/micro-exception.filter.js';
import { enableCallScope } from './server/call-scope.js';
import { MicroServer } from './server/micro.server.js';

export interface MicroModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: any[]) => MicroOptions | Promise<MicroOptions>;
}

export interface MicroClientRegistration {
  /** Injection token of the client. */
  name: InjectionToken;
  /** The service it calls. */
  service: string;
  /** Per-client call defaults (timeout, retries, metadata, filters, strategy…). */
  options?: Partial<ClientCallOptions>;
}

export interface MicroClientAsyncRegistration extends Pick<ModuleMetadata, 'imports'> {
  name: InjectionToken;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (
    ...args: any[]
  ) => Omit<MicroClientRegistration, 'name'> | Promise<Omit<MicroClientRegistration, 'name'>>;
}

/** Installs the trace-correlated logger when `logFormat` asks, as the app's providers are made. */
const LOG_FORMAT = Symbol('nest-micro:log-format');

const shared: Provider[] = [
  {
    provide: LOG_FORMAT,
    useFactory: (o: ResolvedOptions) => {
      if (o.logFormat !== undefined) useTraceContextLogger(o.logFormat);
      return o.logFormat ?? 'off';
    },
    inject: [MICRO_OPTIONS],
  },
  { provide: MicroServer, useFactory: (o: ResolvedOptions) => new MicroServer(o), inject: [MICRO_OPTIONS] },
  { provide: MicroClient, useFactory: (o: ResolvedOptions) => new MicroClient(o), inject: [MICRO_OPTIONS] },
  { provide: APP_FILTER, useClass: MicroExceptionFilter },
  MicroLifecycle,
  MicroHealth,
];
const exported = [MICRO_OPTIONS, MicroServer, MicroClient, MicroHealth];

@Module({})
export class MicroModule {
  static forRoot(options: MicroOptions = {}): DynamicModule {
    return {
      module: MicroModule,
      global: true,
      providers: [{ provide: MICRO_OPTIONS, useValue: resolveOptions(options) }, ...shared],
      exports: exported,
    };
  }

  static forRootAsync(options: MicroModuleAsyncOptions): DynamicModule {
    const resolved: FactoryProvider = {
      provide: MICRO_OPTIONS,
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]) => resolveOptions(await options.useFactory(...args)),
    };
    return {
      module: MicroModule,
      global: true,
      imports: options.imports ?? [],
      providers: [resolved, ...shared],
      exports: exported,
    };
  }

  static registerClients(clients: MicroClientRegistration[]): DynamicModule {
    enableCallScope(); // handlers of this app may call out: let them inherit deadlines
    const providers: Provider[] = clients.map((c) => ({
      provide: c.name,
      inject: [MicroClient],
      useFactory: (base: MicroClient) => new MicroClient(base.options, c.service, c.options, base.unwrap()),
    }));
    return { module: MicroModule, providers, exports: clients.map((c) => c.name) };
  }

  static registerClientsAsync(clients: MicroClientAsyncRegistration[]): DynamicModule {
    enableCallScope();
    const providers: Provider[] = clients.map((c) => ({
      provide: c.name,
      inject: [MicroClient, ...(c.inject ?? [])],
      useFactory: async (base: MicroClient, ...args: unknown[]) => {
        const { service, options } = await c.useFactory(...args);
        return new MicroClient(base.options, service, options, base.unwrap());
      },
    }));
    return {
      module: MicroModule,
      imports: clients.flatMap((c) => c.imports ?? []),
      providers,
      exports: clients.map((c) => c.name),
    };
  }
}
