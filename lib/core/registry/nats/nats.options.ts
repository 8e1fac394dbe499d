/**
 * Options of the NATS registry and their defaults: go-micro's subjects (`micro.nats.query`,
 * `micro.nats.watch`), its register action and its 100 ms query window.
 */
import { natsServers, type NatsConnectionOptions } from '../../nats/connection.js';

export const NATS_REGISTRY_ERROR_ID = 'registry.nats';

export interface NatsRegistryOptions {
  /** NATS servers: "host:port[,host:port]" or a list, `nats://` optional (default nats://127.0.0.1:4222). */
  servers?: string | string[];
  /** @nats-io/transport-node connection options (TLS, credentials, …), applied over nest-micro's. */
  connection?: NatsConnectionOptions;
  /** Client name shown by the NATS server (default `nest-micro-registry`). */
  name?: string;
  /** Subject every registry answers queries on (go-micro's QueryTopic, default `micro.nats.query`). */
  queryTopic?: string;
  /** Subject registrations are announced on (go-micro's WatchTopic, default `micro.nats.watch`). */
  watchTopic?: string;
  /** Action announced on (re-)registration (go-micro's RegisterAction, default `create`). */
  registerAction?: string;
  /** How long a query collects answers, ms (go-micro's registry Timeout, default 100). */
  timeout?: number;
  /** A lookup returns as soon as this many nodes answered (go-micro's Quorum; default 0: the whole window). */
  quorum?: number;
}

export interface ResolvedNatsRegistryOptions {
  servers: string[];
  connection: NatsConnectionOptions;
  name: string;
  queryTopic: string;
  watchTopic: string;
  registerAction: string;
  timeout: number;
  quorum: number;
}

export function resolveNatsRegistryOptions(options: NatsRegistryOptions): ResolvedNatsRegistryOptions {
  return {
    servers: natsServers(options.servers),
    connection: options.connection ?? {},
    name: options.name ?? 'nest-micro-registry',
    queryTopic: options.queryTopic ?? 'micro.nats.query',
    watchTopic: options.watchTopic ?? 'micro.nats.watch',
    registerAction: options.registerAction ?? 'create',
    timeout: Math.max(1, options.timeout ?? 100),
    quorum: Math.max(0, options.quorum ?? 0),
  };
}
