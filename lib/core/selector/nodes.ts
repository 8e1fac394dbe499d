/** Small helpers shared by the selector and its strategies: flattening nodes, errors, node keys. */
import { MicroError } from '../errors/micro-error.js';
import type { Node, Service } from '../registry/registry.js';
import { ERROR_ID } from '../errors/ids.js';
import { errorText } from '../errors/error-text.js';

/** Error id used for selection failures (go-micro reports them from the client). */
export const SELECTOR_ERROR_ID = ERROR_ID.client;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).address === 'string';
}

/** Every node of the services, skipping malformed entries a faulty registry might return. */
export function allNodes(services: readonly Service[]): Node[] {
  if (services.length === 1) {
    const only = services[0]?.nodes;
    if (Array.isArray(only) && only.every(isNode)) return only;
  }
  const nodes: Node[] = [];
  for (const s of services) {
    if (!s || !Array.isArray(s.nodes)) continue;
    for (const n of s.nodes) if (isNode(n)) nodes.push(n);
  }
  return nodes;
}

/** The identity the selector keys node state by. */
export function nodeKey(node: Node): string {
  return node.id || node.address;
}

export function noneAvailable(service: string): MicroError {
  return MicroError.unavailable(SELECTOR_ERROR_ID, `none available: service ${service} has no nodes`, false);
}

/** A strategy or filter that threw or returned garbage: a 500 the caller can report. */
export function pluginError(what: string, error: unknown): MicroError {
  if (error instanceof MicroError) return error;
  const detail = errorText(error);
  return MicroError.internalServerError(SELECTOR_ERROR_ID, `${what}: ${detail}`);
}

export { isNode };
