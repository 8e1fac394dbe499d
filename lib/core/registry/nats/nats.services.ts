/**
 * go-micro's registry records as its NATS registry sends them: a `registry.Service` as Go's
 * encoding/json writes it (lower-case fields, null for empty maps and slices), and the
 * `registry.Result` of queries and watch events (`{"Service":…,"Action":…}`, no JSON tags). Decoders
 * never throw: foreign or corrupt input is undefined, and go-micro's version of a record merge
 * (nodes of one version by id) keeps a registry's own records.
 */
import { cloneService, type Node, type Service } from '../registry.js';
import { toEndpoint, toStringMap } from '../encoding.js';

/** The JSON of `service` as go-micro writes a registry.Service. */
export function goService(service: Service): Record<string, unknown> {
  return {
    name: service.name,
    version: service.version,
    metadata: service.metadata,
    endpoints: service.endpoints.map((e) => ({
      request: e.request ?? null,
      response: e.response ?? null,
      metadata: e.metadata,
      name: e.name,
    })),
    nodes: service.nodes.map((n) => ({ metadata: n.metadata, id: n.id, address: n.address })),
  };
}

/** A registry.Result payload (`action` "get"/"list" queries, "create"/"delete"/… events). */
export function goResult(action: string, service: Service | { name: string } | undefined): Buffer {
  const body =
    service === undefined
      ? null
      : 'nodes' in service
        ? goService(service)
        : { name: service.name, version: '', metadata: null, endpoints: null, nodes: null };
  return Buffer.from(JSON.stringify({ Service: body, Action: action }), 'utf8');
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Service from go-micro JSON, or undefined when it is not one (no name). */
export function fromGoService(value: unknown): Service | undefined {
  if (!isObject(value) || typeof value.name !== 'string' || value.name === '') return undefined;
  const nodes: Node[] = [];
  for (const n of Array.isArray(value.nodes) ? value.nodes : []) {
    if (!isObject(n) || typeof n.id !== 'string' || typeof n.address !== 'string') continue;
    nodes.push({ id: n.id, address: n.address, metadata: toStringMap(n.metadata) });
  }
  return {
    name: value.name,
    version: typeof value.version === 'string' ? value.version : '',
    metadata: toStringMap(value.metadata),
    endpoints: (Array.isArray(value.endpoints) ? value.endpoints : [])
      .map(toEndpoint)
      .filter((e) => e !== undefined),
    nodes,
  };
}

/** A registry.Result from a payload: its action and service, field names in any case (as Go reads them). */
export function parseResult(
  payload: Uint8Array,
): { action: string; service?: Service; name?: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  let action: unknown;
  let service: unknown;
  for (const [key, value] of Object.entries(parsed)) {
    const name = key.toLowerCase();
    if (name === 'action') action = value;
    else if (name === 'service') service = value;
  }
  if (typeof action !== 'string') return undefined;
  const name = isObject(service) && typeof service.name === 'string' ? service.name : undefined;
  return { action, service: fromGoService(service), name };
}

/** A Service from a query answer (the bare registry.Service JSON). */
export function parseService(payload: Uint8Array): Service | undefined {
  try {
    return fromGoService(
      JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')),
    );
  } catch {
    return undefined;
  }
}

/** `incoming` merged into `versions` (go-micro's addServices: a version's record replaced, its nodes merged by id). */
export function addService(versions: readonly Service[], incoming: Service): Service[] {
  const current = versions.find((s) => s.version === incoming.version);
  const others = versions.filter((s) => s !== current);
  const ids = new Set(incoming.nodes.map((n) => n.id));
  const kept = current ? current.nodes.filter((n) => !ids.has(n.id)) : [];
  return [...others, cloneService({ ...incoming, nodes: [...kept, ...incoming.nodes] })];
}

/** `versions` without the nodes of `leaving` (a version left without nodes is gone). */
export function removeNodes(versions: readonly Service[], leaving: Service): Service[] {
  const gone = new Set(leaving.nodes.map((n) => n.id));
  const out: Service[] = [];
  for (const s of versions) {
    if (s.version !== leaving.version) {
      out.push(s);
      continue;
    }
    const nodes = s.nodes.filter((n) => !gone.has(n.id));
    if (nodes.length > 0) out.push({ ...s, nodes });
  }
  return out;
}

/** Answers of one query merged per version, nodes appended (once per id), as go-micro's query does. */
export function mergeAnswers(answers: readonly Service[]): Service[] {
  const byVersion = new Map<string, Service>();
  for (const answer of answers) {
    const key = `${answer.name}\0${answer.version}`;
    const known = byVersion.get(key);
    if (!known) {
      byVersion.set(key, cloneService(answer));
      continue;
    }
    const ids = new Set(known.nodes.map((n) => n.id));
    for (const node of answer.nodes)
      if (!ids.has(node.id)) known.nodes.push({ ...node, metadata: { ...node.metadata } });
  }
  return [...byVersion.values()];
}
