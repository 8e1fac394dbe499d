/**
 * The dashboard's Server-Sent Event feeds. `RegistryFeed`: one registry watch shared by every open
 * `api/events` page; each change (debounced, 100 ms) sends every page the full list of services
 * again (`event: services`), so a page never merges deltas. `subscribeFeed`: one broadcast broker
 * subscription per `api/subscribe` page, each delivered message an `event: message`, unsubscribed
 * when the page goes; a page that reads slower than the topic fills is not buffered for without
 * bound: past a megabyte waiting, messages are dropped and the next one delivered says how many
 * (`dropped`). Both send a comment every 15 s so proxies keep the connection.
 */
import type { ServerResponse } from 'node:http';
import type { Broker } from '../core/broker/broker.js';
import type { Codecs } from '../core/codec/codecs.js';
import { HEADER } from '../core/metadata/headers.js';
import type { Registry, Service, Watcher } from '../core/registry/registry.js';
import { loggerFor } from '../core/logger.js';
import { fleetServices } from './fleet.js';

const logger = loggerFor('MicroDashboard');

export const HEARTBEAT_MS = 15_000;
export const DEBOUNCE_MS = 100;
/** Bytes an SSE page may have waiting before its messages are dropped. */
export const MAX_WAITING = 1024 * 1024;

/** Opens an SSE answer on `res`. */
export function openSse(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
}

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n\n`;
}

export class RegistryFeed {
  private readonly pages = new Set<ServerResponse>();
  private watcher?: Watcher;
  private debounce?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private last?: string;

  constructor(private readonly registry: Registry) {}

  /** Adds a page: it gets the current snapshot at once, then every change, until it goes. */
  async add(res: ServerResponse, headers: Record<string, string>): Promise<void> {
    // the watch first: a change while the snapshot is read is then sent after it, not missed
    this.start();
    let services: Service[];
    try {
      services = await fleetServices(this.registry);
    } catch (error) {
      if (this.pages.size === 0) this.stop();
      throw error;
    }
    if (res.destroyed) {
      if (this.pages.size === 0) this.stop();
      return;
    }
    openSse(res, headers);
    res.write(sseEvent('services', { services }));
    this.last = undefined; // this page's snapshot may be newer than the last one sent: send the next
    this.pages.add(res);
    res.once('close', () => this.remove(res));
  }

  private start(): void {
    if (this.watcher) return;
    this.watcher = this.registry.watch(() => this.changed());
    this.heartbeat = setInterval(() => this.broadcast(': heartbeat\n\n'), HEARTBEAT_MS).unref();
  }

  private remove(res: ServerResponse): void {
    this.pages.delete(res);
    if (this.pages.size === 0) this.stop();
  }

  private changed(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      fleetServices(this.registry).then(
        (services) => this.send(services),
        (error: unknown) => logger.warn(`registry snapshot failed: ${String(error)}`),
      );
    }, DEBOUNCE_MS);
  }

  private send(services: Service[]): void {
    const event = sseEvent('services', { services });
    if (event === this.last) return;
    this.last = event;
    this.broadcast(event);
  }

  private broadcast(text: string): void {
    for (const page of this.pages) page.write(text);
  }

  /** Ends every page and the watch. */
  stop(): void {
    clearTimeout(this.debounce);
    clearInterval(this.heartbeat);
    this.debounce = this.heartbeat = undefined;
    this.last = undefined;
    this.watcher?.stop();
    this.watcher = undefined;
    for (const page of this.pages) page.end();
    this.pages.clear();
  }
}

/** Streams the messages of `topic` to `res` as SSE until the page goes; resolves then. */
export async function subscribeFeed(
  res: ServerResponse,
  headers: Record<string, string>,
  broker: Broker,
  codecs: Codecs,
  topic: string,
): Promise<void> {
  await broker.connect();
  let opened = false;
  let dropped = 0;
  const open = (): void => {
    if (opened) return;
    opened = true;
    openSse(res, headers);
    res.write(': subscribed\n\n');
  };
  const subscription = await broker.subscribe(topic, (event) => {
    if (res.destroyed) return;
    open();
    if (res.writableLength > MAX_WAITING) {
      dropped++;
      return;
    }
    const { header, body } = event.message;
    let message: unknown;
    try {
      message = codecs.get(header[HEADER.contentType]).unmarshal(body);
    } catch {
      message = body.toString('base64');
    }
    const data: Record<string, unknown> = { topic: event.topic, metadata: header, message, at: Date.now() };
    if (dropped > 0) data.dropped = dropped;
    dropped = 0;
    res.write(sseEvent('message', data));
  });
  open();
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS).unref();
  await new Promise<void>((resolve) => {
    if (res.destroyed) resolve();
    else res.once('close', resolve);
  });
  clearInterval(heartbeat);
  await subscription.unsubscribe().catch(() => undefined);
}
