/**
 * POSTs broker envelopes to subscriber nodes (`http(s)://<address>/?id=<nodeId>`) over kept-alive
 * connections: an undici Pool per node address (64 connections, as many POSTs in flight), far
 * lighter per request than node:http's client and Agent, which were most of a publish's CPU.
 * Tells apart a node that could not be reached from one that answered with an error.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import { MicroError } from '../../errors/micro-error.js';
import type { Node } from '../../registry/registry.js';
import { joinAddress, splitAddress } from '../../transport/transport.js';
import { BROKER_ERROR_ID } from './envelope.js';

export type SendResult = { ok: true } | { ok: false; reachable: boolean; error: MicroError };

const POOL_SIZE = 64;
const IDLE_MS = 60_000;

export class Sender {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly timeoutMs: number,
    private readonly tls: ConnectionOptions = {},
  ) {}

  send(node: Node, payload: Buffer, timeoutMs = this.timeoutMs): Promise<SendResult> {
    return new Promise((resolve) => {
      const handler = new ReplyHandler(node.address, resolve);
      handler.timer = setTimeout(() => handler.timeout(), timeoutMs);
      this.pool(node).dispatch(
        {
          path: `/?id=${encodeURIComponent(node.id)}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(payload.length) },
          body: payload,
        },
        handler,
      );
    });
  }

  close(): void {
    for (const pool of this.pools.values()) void pool.destroy().catch(() => {});
    this.pools.clear();
  }

  private pool(node: Node): Pool {
    const secure = node.metadata.secure === 'true';
    const key = `${secure ? 's' : ''}${node.address}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const { host, port } = splitAddress(node.address);
      const origin = `${secure ? 'https' : 'http'}://${joinAddress(host || '127.0.0.1', port)}`;
      pool = new Pool(origin, {
        connections: POOL_SIZE,
        keepAliveTimeout: IDLE_MS,
        keepAliveMaxTimeout: IDLE_MS,
        pipelining: 1,
        ...(secure ? { connect: { ...this.tls } } : {}),
      });
      this.pools.set(key, pool);
    }
    return pool;
  }
}

/** Collects one reply through undici's dispatch callbacks and reports it exactly once. */
class ReplyHandler implements Dispatcher.DispatchHandler {
  timer?: NodeJS.Timeout;
  private controller?: Dispatcher.DispatchController;
  private status = 0;
  private readonly chunks: Buffer[] = [];
  private done = false;

  constructor(
    private readonly address: string,
    private readonly resolve: (result: SendResult) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('delivery already settled'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, _h: IncomingHttpHeaders): void {
    this.status = status;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const status = this.status;
    if (status >= 200 && status < 300) return this.finish({ ok: true });
    const text = Buffer.concat(this.chunks).toString() || `HTTP ${status} from ${this.address}`;
    const parsed = MicroError.parse(text, BROKER_ERROR_ID);
    const error =
      parsed.code === 500 && status !== 500 ? new MicroError(parsed.id, parsed.detail, status) : parsed;
    this.finish({ ok: false, reachable: true, error });
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    const detail = `cannot deliver to ${this.address}: ${(error as NodeJS.ErrnoException).code ?? error.message}`;
    this.finish({ ok: false, reachable: false, error: MicroError.unavailable(BROKER_ERROR_ID, detail) });
  }

  /**
   * The subscriber took the request but did not acknowledge in time: it is alive, so the retry
   * counts as an attempt (bounded by maxAttempts) rather than "unreachable" (unbounded).
   */
  timeout(): void {
    const error = MicroError.timeout(BROKER_ERROR_ID, `no reply from ${this.address}`);
    this.finish({ ok: false, reachable: true, error });
    this.controller?.abort(new Error('timed out'));
  }

  private finish(result: SendResult): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolve(result);
  }
}
