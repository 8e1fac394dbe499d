/**
 * The shared part of the modules that mount a plain Node request listener (the API gateway, the
 * dashboard) in a Nest HTTP app under a prefix: a controller of its own with one catch-all route,
 * the given Nest guards (and exception filters) before every request, the listener built once from
 * MicroModule's client and registry unless the options name others.
 */
import {
  All,
  Controller,
  Inject,
  Req,
  Res,
  UseFilters,
  UseGuards,
  type CanActivate,
  type DynamicModule,
  type ExceptionFilter,
  type Provider,
  type Type,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from '../core/registry/registry.js';
import type { GatewayClient } from '../gateway/options.js';
import { MicroClient } from './client/micro.client.js';
import { MICRO_OPTIONS } from './micro.constants.js';
import type { ResolvedOptions } from './options.js';

/** The options every mount module takes beside its listener's own. */
export interface MountOptions {
  prefix?: string;
  guards?: Array<Type<CanActivate> | CanActivate>;
  client?: GatewayClient;
  registry?: Registry;
}

/** What a mount module serves: a request listener that takes the path after the prefix. */
export interface MountedListener {
  handle(req: IncomingMessage, res: ServerResponse, path?: string): void;
}

/** What the listener is built from: its own options, the prefix, and the client and registry. */
export interface MountContext {
  mount: string;
  client: GatewayClient;
  registry: Registry;
  resolved: ResolvedOptions;
}

export interface MountSpec<O extends MountOptions> {
  /** The provider token the listener is exported under. */
  token: symbol;
  /** The path the listener is given, from the request the catch-all matched. */
  pathOf: (req: IncomingMessage) => string;
  create: (options: Omit<O, keyof MountOptions>, context: MountContext) => MountedListener;
  /** Guards that run before the ones the options give. */
  firstGuards?: Array<Type<CanActivate>>;
  filters?: Array<Type<ExceptionFilter>>;
  /** More providers of the module, given the trimmed prefix. */
  providers?: (mount: string) => Provider[];
}

/** The path after the prefix, from the catch-all's parameter (Express 5 gives its segments), no leading slash. */
export function pathAfterMount(req: IncomingMessage & { params?: Record<string, unknown> }): string {
  const rest = req.params?.path;
  const segments = Array.isArray(rest) ? (rest as string[]) : typeof rest === 'string' ? rest.split('/') : [];
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

const trimSlashes = (path: string): string => path.replace(/^\/+|\/+$/g, '');

function mountController<O extends MountOptions>(
  name: string,
  spec: MountSpec<O>,
  prefix: string,
  guards: Array<Type<CanActivate> | CanActivate>,
): Type<unknown> {
  const { token, pathOf } = spec;
  class MountController {
    constructor(@Inject(token) private readonly listener: MountedListener) {}

    @All(['', '{*path}'])
    handle(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
      this.listener.handle(req, res, pathOf(req));
    }
  }
  Object.defineProperty(MountController, 'name', { value: name });
  if (spec.filters?.length) UseFilters(...spec.filters)(MountController);
  UseGuards(...(spec.firstGuards ?? []), ...guards)(MountController);
  Controller(prefix)(MountController);
  return MountController;
}

/**
 * `module`'s dynamic module: the controller (named after the module: MicroGatewayModule's is
 * MicroGatewayController), the listener's provider (exported) and the spec's own providers.
 */
export function mountModule<O extends MountOptions>(
  module: Type<unknown>,
  spec: MountSpec<O>,
  options: O,
): DynamicModule {
  const { prefix = '', guards = [], client, registry, ...rest } = options;
  const mount = trimSlashes(prefix);
  return {
    module,
    controllers: [mountController(module.name.replace(/Module$/, 'Controller'), spec, mount, guards)],
    providers: [
      {
        provide: spec.token,
        inject: [MICRO_OPTIONS, MicroClient],
        useFactory: (resolved: ResolvedOptions, microClient: MicroClient) =>
          spec.create(rest, {
            mount,
            client: client ?? microClient,
            registry: registry ?? resolved.registry,
            resolved,
          }),
      },
      ...(spec.providers?.(mount) ?? []),
    ],
    exports: [spec.token],
  };
}
