/**
 * The dashboard's reads of the fleet: the registry's services (one entry per name and version,
 * sorted), and each node's own answers to go-micro's Debug.Health and Debug.Stats, asked of that
 * node alone (lib/core/client/node-call.ts, as `nest-micro stats` does), with the chaos of the
 * moment merged from what nest-micro nodes report and this process's own client.
 */
import { callNode } from '../core/client/node-call.js';
import { MicroError } from '../core/errors/micro-error.js';
import { toMicroError } from '../core/errors/from-unknown.js';
import type { MicroErrorJson } from '../core/errors/micro-error.js';
import { chaosSnapshot, mergeChaos, type ChaosSnapshot } from '../core/metrics/chaos.js';
import {
  HEALTH_ENDPOINT,
  readStats,
  STATS_ENDPOINT,
  type DebugStatsResponse,
} from '../core/metrics/debug-stats.js';
import type { Registry, Service } from '../core/registry/registry.js';
import { askRegistry } from '../gateway/http-io.js';
import type { GatewayClient } from '../gateway/options.js';
import { WEB_ERROR_ID } from './options.js';

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN';

export interface NodeHealth {
  id: string;
  address: string;
  version: string;
  status: HealthStatus;
  error?: MicroErrorJson;
  ms: number;
}

export interface NodeStatsEntry {
  id: string;
  address: string;
  version: string;
  stats?: DebugStatsResponse;
  error?: MicroErrorJson;
}

export interface FleetStats {
  at: number;
  nodes: NodeStatsEntry[];
  chaos: ChaosSnapshot;
}

export function errorJson(error: unknown): MicroErrorJson {
  const { id, code, detail, status } = toMicroError(error, WEB_ERROR_ID);
  return { id, code, detail, status };
}

function fromRegistry<T>(ask: () => Promise<T>): Promise<T> {
  return askRegistry(ask, WEB_ERROR_ID);
}

/** Every service of the registry, full (endpoints, nodes), sorted by name then version. */
export async function fleetServices(registry: Registry): Promise<Service[]> {
  const listed = await fromRegistry(() => registry.listServices());
  const names = [...new Set(listed.map((s) => s.name))];
  const found = await Promise.all(names.map((n) => fromRegistry(() => registry.getService(n))));
  return found
    .flat()
    .filter((s) => s && typeof s.name === 'string')
    .toSorted((a, b) => compare(a.name, b.name) || compare(a.version ?? '', b.version ?? ''));
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The versions of `name` in the registry; a 404 when it has none. */
export async function lookupService(registry: Registry, name: string): Promise<Service[]> {
  if (!name) throw MicroError.badRequest(WEB_ERROR_ID, 'a service name is required');
  const services = await fromRegistry(() => registry.getService(name));
  if (services.length === 0)
    throw MicroError.notFound(WEB_ERROR_ID, `service ${name} is not in the registry`);
  return services;
}

/**
 * The RPC servers among the nodes of `services`. A broker's subscription entry (go-micro's HTTP
 * broker registers one per subscriber under `micro.http.broker`, metadata `broker: "http"` and the
 * `topic`; a server's node names its broker too, but never a topic) is an HTTP endpoint for
 * deliveries, not a server with Debug.Health: asking it would fail, show "unknown" and get it
 * ejected by the dashboard's own client.
 */
function nodesOf(services: Service[]): Array<{ node: Service['nodes'][number]; version: string }> {
  return services.flatMap((s) =>
    s.nodes.filter((node) => !isSubscription(node)).map((node) => ({ node, version: s.version })),
  );
}

const isSubscription = (node: Service['nodes'][number]): boolean =>
  Boolean(node.metadata?.broker) && node.metadata?.topic !== undefined;

/** Debug.Health of every node of `name`. */
export async function fleetHealth(
  client: GatewayClient,
  registry: Registry,
  name: string,
  timeout: number,
): Promise<NodeHealth[]> {
  const services = await lookupService(registry, name);
  return Promise.all(
    nodesOf(services).map(async ({ node, version }) => {
      const started = performance.now();
      const where = { id: node.id, address: node.address, version };
      try {
        const reply = await callNode<{ status?: unknown }>(client, name, node, HEALTH_ENDPOINT, timeout);
        const ms = performance.now() - started;
        const serving = String(reply?.status ?? '').toLowerCase();
        return {
          ...where,
          status: serving === 'ok' || serving === 'serving' ? 'SERVING' : 'NOT_SERVING',
          ms,
        };
      } catch (error) {
        const ms = performance.now() - started;
        const json = errorJson(error);
        // a node that answered with a refusal is up but not serving; one that did not answer is unknown
        const status: HealthStatus = json.code === 503 && !isClientSide(json) ? 'NOT_SERVING' : 'UNKNOWN';
        return { ...where, status, error: json, ms };
      }
    }),
  );
}

/** An error the client made itself (no answer from the node) rather than one the node sent. */
function isClientSide(error: MicroErrorJson): boolean {
  return error.id.startsWith('go.micro.client') || error.id === WEB_ERROR_ID;
}

/** Debug.Stats of every node of `name`, and the chaos of the moment. */
export async function fleetStats(
  client: GatewayClient,
  registry: Registry,
  name: string,
  timeout: number,
): Promise<FleetStats> {
  const services = await lookupService(registry, name);
  const nodes = await Promise.all(
    nodesOf(services).map(async ({ node, version }): Promise<NodeStatsEntry> => {
      const where = { id: node.id, address: node.address, version };
      try {
        return { ...where, stats: readStats(await callNode(client, name, node, STATS_ENDPOINT, timeout)) };
      } catch (error) {
        return { ...where, error: errorJson(error) };
      }
    }),
  );
  return {
    at: Date.now(),
    nodes,
    chaos: mergeChaos(chaosSnapshot(), ...nodes.map((n) => n.stats?.chaos)),
  };
}
