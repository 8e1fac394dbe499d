/**
 * MicroDashboardModule: the dashboard (lib/web) inside a Nest HTTP app, under a prefix:
 * `MicroDashboardModule.forRoot({ prefix: 'dashboard', token: process.env.DASH_TOKEN })` beside
 * `MicroModule.forRoot(...)`, whose client, registry and broker it uses. A controller of its own
 * (one catch-all route under the prefix) serves the page and the API; the stream route's WebSocket
 * upgrade is taken from the app's HTTP server ('upgrade' event, only for the prefix's path), since
 * upgrades never reach a controller. Nest guards given here run before every page and API request.
 */
import {
  All,
  Controller,
  Inject,
  Injectable,
  Module,
  Req,
  Res,
  UseGuards,
  type CanActivate,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from '../../core/registry/registry.js';
import type { GatewayClient } from '../../gateway/options.js';
import { MicroDashboard } from '../../web/dashboard.js';
import type { DashboardOptions } from '../../web/options.js';
import { MicroClient } from '../client/micro.client.js';
import { MICRO_OPTIONS } from '../micro.constants.js';
import type { ResolvedOptions } from '../options.js';

export const MICRO_DASHBOARD = Symbol.for('nest-micro:dashboard');

export interface MicroDashboardModuleOptions extends Omit<
  DashboardOptions,
  'client' | 'registry' | 'broker'
> {
  /** Where the dashboard is mounted, e.g. 'dashboard' (default: the app's root). */
  prefix?: string;
  /** Nest guards run before every dashboard request (the WebSocket upgrade relies on `token`). */
  guards?: Array<Type<CanActivate> | CanActivate>;
  /** The client and registry to use instead of MicroModule's (the broker is always MicroModule's). */
  client?: GatewayClient;
  registry?: Registry;
}

/** The path after the prefix, from the catch-all's parameter (Express 5 gives its segments). */
function restOf(req: IncomingMessage & { params?: Record<string, unknown> }): string {
  const rest = req.params?.path;
  const segments = Array.isArray(rest) ? (rest as string[]) : typeof rest === 'string' ? rest.split('/') : [];
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

const trimSlashes = (path: string): string => path.replace(/^\/+|\/+$/g, '');

function dashboardController(prefix: string, guards: Array<Type<CanActivate> | CanActivate>): Type<unknown> {
  @Controller(prefix)
  @UseGuards(...guards)
  class MicroDashboardController {
    constructor(@Inject(MICRO_DASHBOARD) private readonly dashboard: MicroDashboard) {}

    @All(['', '{*path}'])
    handle(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
      this.dashboard.handle(req, res, restOf(req));
    }
  }
  return MicroDashboardController;
}

/** Hooks the stream route's WebSocket upgrades on the app's HTTP server; closes the dashboard. */
@Injectable()
class DashboardUpgrades implements OnApplicationBootstrap, OnModuleDestroy {
  private server?: Server;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0]!;
    const base = this.mount ? `/${this.mount}/` : '/';
    if (!path.startsWith(base)) return;
    this.dashboard.handleUpgrade(req, socket, head, path.slice(base.length));
  };

  constructor(
    @Inject(MICRO_DASHBOARD) private readonly dashboard: MicroDashboard,
    @Inject('nest-micro:dashboard-mount') private readonly mount: string,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server || typeof server.on !== 'function') return; // not an HTTP app
    this.server = server;
    server.on('upgrade', this.onUpgrade);
  }

  async onModuleDestroy(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    await this.dashboard.close();
  }
}

@Module({})
export class MicroDashboardModule {
  static forRoot(options: MicroDashboardModuleOptions = {}): DynamicModule {
    const { prefix = '', guards = [], client, registry, ...rest } = options;
    const mount = trimSlashes(prefix);
    return {
      module: MicroDashboardModule,
      controllers: [dashboardController(mount, guards)],
      providers: [
        { provide: 'nest-micro:dashboard-mount', useValue: mount },
        {
          provide: MICRO_DASHBOARD,
          inject: [MICRO_OPTIONS, MicroClient],
          useFactory: (resolved: ResolvedOptions, microClient: MicroClient) =>
            new MicroDashboard({
              ...rest,
              client: client ?? microClient,
              registry: registry ?? resolved.registry,
              broker: resolved.broker,
            }),
        },
        DashboardUpgrades,
      ],
      exports: [MICRO_DASHBOARD],
    };
  }
}
