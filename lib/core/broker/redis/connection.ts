/**
 * ioredis connections for the Redis broker, one per role: `command` (publish, ack, claim; fails fast
 * while Redis is down), `reader` (one per queue subscription, for blocking XREADGROUP; waits out
 * outages) and `subscriber` (Pub/Sub; the broker re-subscribes after a reconnect). All reconnect with
 * a capped backoff. Also the mapping of Redis failures onto MicroErrors, and `coalesceWrites`:
 * ioredis writes each command to the socket on its own (a system call each, the largest cost of a
 * publish in CPU profiles), so the commands issued within one turn are held and sent as one write.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { ioredis } from '../../drivers.js';
import type { ResolvedRedisOptions } from './options.js';
import { ERROR_ID } from '../../errors/ids.js';
import { unavailableFor } from '../unavailable.js';

export const BROKER_ERROR_ID = ERROR_ID.broker;

export type ConnectionRole = 'command' | 'reader' | 'subscriber';

export function createConnection(options: ResolvedRedisOptions, role: ConnectionRole): Redis {
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    connectionName: `nest-micro-broker-${role}`,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    enableOfflineQueue: role !== 'command',
    maxRetriesPerRequest: null,
  };
  if (role === 'subscriber') {
    // The broker re-subscribes itself on 'ready' (with its errors handled): ioredis's own
    // re-subscription leaves a rejected promise nobody observes when the link drops again meanwhile.
    redisOptions.autoResubscribe = false;
    // A SUBSCRIBE sent to a stalled Redis fails instead of waiting for ever.
    redisOptions.commandTimeout = Math.max(options.publishTimeout, 5_000);
  }
  if (role === 'command') {
    // A command caught by a connection loss is failed, not silently re-sent later.
    redisOptions.autoResendUnfulfilledCommands = false;
    redisOptions.commandTimeout = Math.max(options.publishTimeout, 5_000);
  }
  if (options.username !== undefined) redisOptions.username = options.username;
  if (options.password !== undefined) redisOptions.password = options.password;
  if (options.tls) redisOptions.tls = options.tls === true ? {} : options.tls;
  const connection = new (ioredis().Redis)(options.url, redisOptions);
  // Connection errors surface through commands and status; the event only needs a listener.
  connection.on('error', () => {});
  const pending = new Set<(error: Error) => void>();
  watched.set(connection, pending);
  connection.on('close', () => {
    for (const fail of pending) fail(new Error('Connection is closed.'));
    pending.clear();
  });
  return connection;
}

/** Resolves once `connection` is ready, or false after `timeoutMs` (or when it ends for good). */
export function whenReady(connection: Redis, timeoutMs: number): Promise<boolean> {
  if (connection.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      connection.off('ready', onReady);
      connection.off('end', onEnd);
      resolve(ok);
    };
    const onReady = (): void => done(true);
    const onEnd = (): void => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    connection.on('ready', onReady);
    connection.on('end', onEnd);
  });
}

/** Per connection, the rejecters of the commands `failOnClose` watches. */
const watched = new WeakMap<Redis, Set<(error: Error) => void>>();

/**
 * `command`, failed as soon as `connection` loses its link: ioredis holds (or, without resending,
 * silently drops) a command caught by a close, so a caller would otherwise wait for the outage to
 * end or for the command timeout.
 */
export function failOnClose<T>(connection: Redis, command: Promise<T>): Promise<T> {
  const pending = watched.get(connection);
  if (!pending) return command;
  return new Promise<T>((resolve, reject) => {
    pending.add(reject);
    command.then(
      (value) => {
        pending.delete(reject);
        resolve(value);
      },
      (error: unknown) => {
        pending.delete(reject);
        reject(error);
      },
    );
  });
}

/** A Redis failure as a 503; `retryable` only when the command certainly was not executed. */
export const unavailable = unavailableFor('redis');

/** QUIT when connected (replies flushed), else drop the connection without waiting. */
export async function closeConnection(connection: Redis): Promise<void> {
  if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
  else connection.disconnect();
}

/**
 * Holds `connection`'s socket writes until the microtasks queued so far have run, then sends them
 * together (one writev): call it before a command, and every command issued in the same turn, by
 * any caller, goes in one system call. Ordering and replies are unchanged.
 */
export function coalesceWrites(connection: Redis): void {
  const socket = connection.stream as (Redis['stream'] & { writableCorked?: number }) | undefined;
  if (!socket || socket.writableCorked || connection.status !== 'ready') return;
  socket.cork();
  process.nextTick(() => socket.uncork());
}
