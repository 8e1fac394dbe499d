/**
 * What a RegistrySelector learns about the nodes of one service, from `next()` and `mark()`:
 * calls in flight, consecutive failures with ejection (exponential, capped cooldown, then one
 * half-open probe), and a peak-EWMA of response time. It is the `NodeStats` strategies read, and
 * it keeps each stateful strategy's per-service state.
 *
 * Outcomes: success, or an application error (any MicroError but 408/503), means the node answered:
 * it resets the failure count. A 408/503 MicroError or any non-MicroError is a node failure. An
 * `AbortError` (the caller gave up) is neutral: it only releases the in-flight count; so is a call
 * the server shed (its `maxConcurrent`/`maxQueued` 503, see errors/overload.ts): the node is alive
 * and answered at once, the call moves on by retry, and ejecting it would only push its share of
 * the load onto the other nodes for a cooldown that doubles while the load lasts. A node its
 * transport reports gone (errors/node-gone.ts: NATS "no responders") is ejected at its first failure.
 */
import { MicroError } from '../errors/micro-error.js';
import { isNodeGone } from '../errors/node-gone.js';
import { isShed } from '../errors/overload.js';
import type { Node, Service } from '../registry/registry.js';
import { allNodes, nodeKey } from './nodes.js';
import { activeMetrics } from '../metrics/recorder.js';
import type { EjectedNode } from '../metrics/chaos.js';
import type { NodeStats, PickContext, StatefulStrategy } from './selector.js';

export interface HealthConfig {
  failureThreshold: number;
  cooldown: number;
  maxCooldown: number;
  latencyDecay: number;
}

export type Outcome = 'success' | 'failure' | 'neutral';

interface NodeState {
  id: string;
  address: string;
  inflight: number;
  failures: number;
  /** 0 while healthy; otherwise how many times in a row the node was ejected. */
  ejections: number;
  ejectedUntil: number;
  /** A half-open probe is out; its failure lengthens the ejection. */
  probing: boolean;
  /** Peak-EWMA latency in ms; NaN until measured. */
  latency: number;
  sampledAt: number;
}

export function classifyOutcome(error: unknown): Outcome {
  if (error === null || error === undefined) return 'success';
  if (isShed(error)) return 'neutral';
  if (error instanceof MicroError) return error.code === 408 || error.code === 503 ? 'failure' : 'success';
  if (error instanceof Error && error.name === 'AbortError') return 'neutral';
  return 'failure';
}

export class ServiceHealth implements NodeStats {
  /** Nodes currently ejected; 0 lets the hot path skip availability checks. */
  ejected = 0;
  prunedAt: number;
  private readonly nodes = new Map<string, NodeState>();
  private readonly contexts = new Map<StatefulStrategy<unknown>, PickContext<unknown>>();
  /** The last deeply frozen registry answer seen and its nodes (a cache hands out the same one). */
  private snapshot?: readonly Service[];
  private snapshotNodes: Node[] = [];

  constructor(
    readonly service: string,
    private readonly config: HealthConfig,
    private readonly clock: () => number,
  ) {
    this.prunedAt = clock();
  }

  /** The strategy's context for this service, its state created on first use. */
  context(strategy: StatefulStrategy<unknown>): PickContext<unknown> {
    let ctx = this.contexts.get(strategy);
    if (!ctx)
      this.contexts.set(strategy, (ctx = { service: this.service, state: strategy.init?.(), stats: this }));
    return ctx;
  }

  /**
   * `allNodes(services)`, kept for the registry answer while it is the same deeply frozen one (as a
   * registry cache's snapshots are), so the nodes are not checked again on every call.
   */
  nodesOf(services: readonly Service[]): Node[] {
    if (services === this.snapshot) return this.snapshotNodes;
    const nodes = allNodes(services);
    if (deeplyFrozen(services)) {
      this.snapshot = services;
      this.snapshotNodes = nodes;
    }
    return nodes;
  }

  /** Not ejected, or its cooldown is over (a half-open probe may go). */
  available(node: Node, now: number): boolean {
    const s = this.nodes.get(nodeKey(node));
    return s === undefined || s.ejections === 0 || now >= s.ejectedUntil;
  }

  /**
   * `next()` handed the node out. An ejected node past its cooldown goes out as the one probe;
   * `now` may be left out while no node is ejected (the clock is read only if needed).
   */
  acquire(node: Node, now?: number): void {
    const s = this.state(node);
    s.inflight++;
    if (s.ejections === 0) return;
    const at = now ?? this.clock(); // read only for an ejected node
    if (at >= s.ejectedUntil) {
      s.probing = true;
      s.ejectedUntil = at + this.cooldownFor(s.ejections); // no second probe until this one reports
    }
  }

  /** An attempt on the node finished. */
  mark(node: Node, error: unknown, duration: number | undefined, now: number): void {
    const s = this.state(node);
    if (s.inflight > 0) s.inflight--;
    const outcome = classifyOutcome(error);
    const timedOut = error instanceof MicroError && error.code === 408;
    if (
      duration !== undefined &&
      Number.isFinite(duration) &&
      duration >= 0 &&
      (outcome === 'success' || timedOut)
    )
      this.sample(s, duration, now);
    if (outcome === 'success') this.recover(s);
    else if (outcome === 'failure' && this.fail(s, now, isNodeGone(error)))
      activeMetrics()?.ejected(this.service, node.id);
  }

  inflight(node: Node): number {
    return this.nodes.get(nodeKey(node))?.inflight ?? 0;
  }

  latency(node: Node): number | undefined {
    const s = this.nodes.get(nodeKey(node));
    if (s === undefined || Number.isNaN(s.latency)) return undefined;
    const age = this.clock() - s.sampledAt;
    return age > 0 ? s.latency * Math.exp(-age / this.config.latencyDecay) : s.latency;
  }

  failures(node: Node): number {
    return this.nodes.get(nodeKey(node))?.failures ?? 0;
  }

  /** The nodes ejected now (read-only: the dashboard's and Debug.Stats' chaos view). */
  ejectedNodes(): EjectedNode[] {
    if (this.ejected === 0) return [];
    const out: EjectedNode[] = [];
    for (const s of this.nodes.values())
      if (s.ejections > 0) out.push({ service: this.service, node: s.id, address: s.address });
    return out;
  }

  /** Forgets nodes the registry no longer lists. */
  prune(live: readonly Node[], now: number): void {
    this.prunedAt = now;
    if (this.nodes.size <= live.length && live.every((n) => this.nodes.has(nodeKey(n)))) return;
    const keep = new Set(live.map(nodeKey));
    for (const [key, s] of this.nodes) {
      if (keep.has(key)) continue;
      if (s.ejections > 0) this.ejected--;
      this.nodes.delete(key);
    }
  }

  private state(node: Node): NodeState {
    const key = nodeKey(node);
    let s = this.nodes.get(key);
    if (!s) {
      s = {
        id: node.id,
        address: node.address,
        inflight: 0,
        failures: 0,
        ejections: 0,
        ejectedUntil: 0,
        probing: false,
        latency: NaN,
        sampledAt: 0,
      };
      this.nodes.set(key, s);
    }
    return s;
  }

  private recover(s: NodeState): void {
    if (s.ejections > 0) this.ejected--;
    s.failures = 0;
    s.ejections = 0;
    s.probing = false;
  }

  /** Counts a failure; true when it ejects the node (again, after a failed probe). `gone`: at once. */
  private fail(s: NodeState, now: number, gone: boolean): boolean {
    s.failures++;
    if (s.ejections === 0) {
      if (s.failures < this.config.failureThreshold && !gone) return false;
      s.ejections = 1;
      this.ejected++;
    } else if (s.probing) {
      s.ejections++;
    } else {
      return false; // a call that started before the ejection: the node is already out
    }
    s.probing = false;
    s.ejectedUntil = now + this.cooldownFor(s.ejections);
    return true;
  }

  private cooldownFor(ejections: number): number {
    return Math.min(this.config.maxCooldown, this.config.cooldown * 2 ** Math.min(ejections - 1, 30));
  }

  /** Peak EWMA: a slower answer raises the estimate at once; faster ones pull it down over time. */
  private sample(s: NodeState, rtt: number, now: number): void {
    if (Number.isNaN(s.latency) || rtt >= s.latency) {
      s.latency = rtt;
    } else {
      const w = Math.exp(-Math.max(0, now - s.sampledAt) / this.config.latencyDecay);
      s.latency = s.latency * w + rtt * (1 - w);
    }
    s.sampledAt = now;
  }
}

/** The answer, its services, their node lists and nodes are all frozen: it can never change. */
function deeplyFrozen(services: readonly Service[]): boolean {
  if (!Object.isFrozen(services)) return false;
  for (const s of services) {
    if (!Object.isFrozen(s) || !Object.isFrozen(s?.nodes)) return false;
    for (const n of s.nodes) if (!Object.isFrozen(n)) return false;
  }
  return true;
}
