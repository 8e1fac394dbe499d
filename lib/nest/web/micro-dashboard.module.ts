/**
 * MicroDashboardModule: the dashboard (lib/web) inside a Nest HTTP app, under a prefix:
 * `MicroDashboardModule.forRoot({ prefix: 'dashboard', token: process.env.DASH_TOKEN })` beside
 * `MicroModule.forRoot(...)`, whose client, registry and broker it uses. A controller of its own
 * (one catch-all route under the prefix) serves the page and the API; the stream route's WebSocket
 * upgrade is taken from the app's HTTP server ('upgrade' event, only for the prefix's path), since
 * upgrades never reach a controller. Nest guards given here run before every page and API request.
 */
import {
  Inject,
  Injectable,
  Module,
  type CanActivate,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from '../../core/registry/registry.js';
import type { GatewayClient } from '../../gateway/options.js';
import { MicroDashboard } from '../../web/dashboard.js';
import type { DashboardOptions } from '../../web/options.js';
import { mountModule, pathAfterMount, type MountSpec } from '../http-mount.js';

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

const dashboardMount: MountSpec<MicroDashboardModuleOptions> = {
  token: MICRO_DASHBOARD,
  pathOf: pathAfterMount,
  create: (rest, { client, registry, resolved }) =>
    new MicroDashboard({ ...rest, client, registry, broker: resolved.broker }),
  providers: (mount) => [{ provide: 'nest-micro:dashboard-mount', useValue: mount }, DashboardUpgrades],
};

@Module({})
export class MicroDashboardModule {
  static forRoot(options: MicroDashboardModuleOptions = {}): DynamicModule {
    return mountModule(MicroDashboardModule, dashboardMount, options);
  }
}
