/**
 * One way to open a NATS connection for every NATS-backed part (registry, transport, broker): the
 * server list from a MICRO_*_ADDRESS value ("host:port[,host:port]", with or without `nats://` as
 * go-micro accepts it), a client name, reconnecting for ever after the first connection, and a
 * first connection that fails fast as a retryable MicroError instead of hanging start-up.
 */
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { natsTransportNode } from '../drivers.js';
import { MicroError } from '../errors/micro-error.js';

export type { ConnectionOptions as NatsConnectionOptions, NatsConnection } from '@nats-io/transport-node';

/** go-micro's default (nats.DefaultURL). */
export const DEFAULT_NATS_SERVER = 'nats://127.0.0.1:4222';

/**
 * The servers named by a MICRO_*_ADDRESS value: comma-separated, blanks dropped, `nats://` added to
 * a bare host:port (as go-micro's setAddrs does); go-micro's default server when none is named.
 */
export function natsServers(address: string | readonly string[] | undefined): string[] {
  const list = typeof address === 'string' ? address.split(',') : [...(address ?? [])];
  const servers = list
    .map((a) => a.trim())
    .filter((a) => a.length > 0)
    .map((a) => (a.includes('://') ? a : `nats://${a}`));
  return servers.length > 0 ? servers : [DEFAULT_NATS_SERVER];
}

/**
 * The options nest-micro connects with: reconnect for ever (quickly: a restarted server is found
 * within about half a second), pings often enough to notice a dead server, no async traces (the
 * client would otherwise build two Errors with stack traces for every request, a JetStream publish
 * included: a fifth of the CPU of a JetStream queue in profiles; a timeout still fails with the
 * client's TimeoutError, only without the caller's frames), and `overrides` last (TLS,
 * credentials, `name`, anything of @nats-io/transport-node's ConnectionOptions).
 */
export function natsConnectionOptions(
  servers: string[],
  name: string,
  overrides: ConnectionOptions = {},
): ConnectionOptions {
  return {
    servers,
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    pingInterval: 10_000,
    maxPingOut: 3,
    timeout: 5_000,
    noAsyncTraces: true,
    ...overrides,
  };
}

/** Connects, or fails with a retryable MicroError (id `errorId`) naming the servers. */
export async function connectNats(options: ConnectionOptions, errorId: string): Promise<NatsConnection> {
  try {
    return await natsTransportNode().connect(options);
  } catch (error) {
    const servers = ([] as string[]).concat(options.servers ?? DEFAULT_NATS_SERVER).join(',');
    throw Object.assign(
      MicroError.unavailable(errorId, `cannot connect to NATS at ${servers}: ${(error as Error).message}`),
      { cause: error },
    );
  }
}
