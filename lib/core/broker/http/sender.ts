/**
 * POSTs broker envelopes to subscriber nodes (`http(s)://<address>/?id=<nodeId>`) over kept-alive
 * connections: an undici Pool per node address (64 connections, as many POSTs in flight), far
 * lighter per request than node:http's client and Agent, which were most of a publish's CPU.
 * Tells apart a node that could not be reached from one that answered with an error.
 *
 * To an address whose replies carried the batch mark (a nest-micro receiver, batch.ts), the
 * envelopes sent to one node within one turn go as one batch POST; each `send` still resolves with
 * its own envelope's outcome. Everything else (go-micro) gets one POST per envelope, as go-micro
 * sends them.
 */
import type { ConnectionOptions } from 'node:tls';
import type { Pool } from 'undici';
import { undici } from '../../drivers.js';
import { MicroError } from '../../errors/micro-error.js';
import type { Node } from '../../registry/registry.js';
import { joinHostPort, splitHostPort } from '../../net/address.js';
import { BATCH_CONTENT_TYPE, decodeResults, encodeBatch, MAX_BATCH, MAX_BATCH_BYTES } from './batch.js';
import { BROKER_ERROR_ID } from './envelope.js';
import { Reply, type Outcome, type SendResult } from './reply.js';

export type { SendResult } from './reply.js';

const POOL_SIZE = 64;
const IDLE_MS = 60_000;

interface Target {
  pool: Pool;
  /** Its replies carry the batch mark. */
  batching: boolean;
}

interface Batch {
  node: Node;
  target: Target;
  timeoutMs: number;
  payloads: Buffer[];
  resolves: ((result: SendResult) => void)[];
  bytes: number;
}

export class Sender {
  private readonly targets = new Map<string, Target>();
  private batches = new Map<string, Batch>();
  private scheduled = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly tls: ConnectionOptions = {},
  ) {}

  async send(node: Node, payload: Buffer, timeoutMs = this.timeoutMs): Promise<SendResult> {
    const target = this.target(node);
    if (!target.batching) return this.sendOne(node, target, payload, timeoutMs);
    return new Promise((resolve) => {
      const key = `${node.id}\n${timeoutMs}`;
      let batch = this.batches.get(key);
      if (batch && (batch.payloads.length >= MAX_BATCH || batch.bytes + payload.length > MAX_BATCH_BYTES)) {
        this.batches.delete(key);
        void this.sendBatch(batch);
        batch = undefined;
      }
      if (!batch) {
        batch = { node, target, timeoutMs, payloads: [], resolves: [], bytes: 0 };
        this.batches.set(key, batch);
      }
      batch.payloads.push(payload);
      batch.resolves.push(resolve);
      batch.bytes += payload.length + 1;
      if (!this.scheduled) {
        this.scheduled = true;
        // after the microtasks queued so far: the publishes issued in this turn join the batch
        process.nextTick(this.flush);
      }
    });
  }

  close(): void {
    for (const { pool } of this.targets.values()) void pool.destroy().catch(() => {});
    this.targets.clear();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batches = this.batches;
    this.batches = new Map();
    for (const batch of batches.values()) void this.sendBatch(batch);
  };

  private async sendOne(node: Node, target: Target, payload: Buffer, timeoutMs: number): Promise<SendResult> {
    const outcome = await this.post(node, target, payload, 'application/json', timeoutMs);
    if (!outcome.replied) return outcome.failure;
    target.batching = outcome.batchMark;
    return resultOf(outcome.status, outcome.body, node.address);
  }

  private async sendBatch(batch: Batch): Promise<void> {
    const { node, target, payloads, resolves, timeoutMs } = batch;
    if (payloads.length === 1) return resolves[0]!(await this.sendOne(node, target, payloads[0]!, timeoutMs));
    const outcome = await this.post(node, target, encodeBatch(payloads), BATCH_CONTENT_TYPE, timeoutMs);
    if (!outcome.replied) return resolves.forEach((resolve) => resolve(outcome.failure));
    const results =
      outcome.status === 200 ? decodeResults(outcome.body.toString(), payloads.length) : undefined;
    if (!results) {
      // not understood (or too large for that receiver): nothing was delivered, so one by one
      target.batching = outcome.batchMark && outcome.status === 413;
      await Promise.all(
        payloads.map(async (p, i) => resolves[i]!(await this.sendOne(node, target, p, timeoutMs))),
      );
      return;
    }
    results.forEach((error, i) => resolves[i]!(error ? { ok: false, reachable: true, error } : { ok: true }));
  }

  private post(node: Node, target: Target, body: Buffer, type: string, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const reply = new Reply(node.address, resolve);
      reply.timer = setTimeout(() => reply.timeout(), timeoutMs);
      target.pool.dispatch(
        {
          path: `/?id=${encodeURIComponent(node.id)}`,
          method: 'POST',
          headers: { 'content-type': type, 'content-length': String(body.length) },
          body,
        },
        reply,
      );
    });
  }

  private target(node: Node): Target {
    const secure = node.metadata.secure === 'true';
    const key = `${secure ? 's' : ''}${node.address}`;
    let target = this.targets.get(key);
    if (!target) {
      const { host, port } = splitHostPort(node.address);
      const origin = `${secure ? 'https' : 'http'}://${joinHostPort(host || '127.0.0.1', port)}`;
      const pool = new (undici().Pool)(origin, {
        connections: POOL_SIZE,
        keepAliveTimeout: IDLE_MS,
        keepAliveMaxTimeout: IDLE_MS,
        pipelining: 1,
        ...(secure ? { connect: { ...this.tls } } : {}),
      });
      target = { pool, batching: false };
      this.targets.set(key, target);
    }
    return target;
  }
}

/** A single delivery's reply: 2xx acknowledged, else the go-micro error it carries. */
function resultOf(status: number, body: Buffer, address: string): SendResult {
  if (status >= 200 && status < 300) return { ok: true };
  const text = body.toString() || `HTTP ${status} from ${address}`;
  const parsed = MicroError.parse(text, BROKER_ERROR_ID);
  const error =
    parsed.code === 500 && status !== 500 ? new MicroError(parsed.id, parsed.detail, status) : parsed;
  return { ok: false, reachable: true, error };
}
