/**
 * go-micro's registry encodings, shared by the mDNS and Consul registries:
 * - `hex(zlib(bytes))` (registry/consul/encoding.go, registry/mdns_registry.go);
 * - the mDNS TXT record: hex(zlib(JSON {"Metadata","Service","Version","Endpoints"})) split into
 *   255-character strings;
 * - Consul tags: `t-`/`e-`/`v-` hex forms and the legacy plain `t=`/`e=`/`v=` forms.
 * Decoders never throw on foreign or corrupt input: bad entries are skipped, like go-micro does.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import type { Endpoint, Value } from './registry.js';

/** hex(zlib(text)), as Go's zlib.NewWriter + hex.EncodeToString produce it. */
export function encodeHexZlib(text: string): string {
  return deflateSync(Buffer.from(text, 'utf8')).toString('hex');
}

/** The inverse of encodeHexZlib; undefined when the input is not hex of a zlib stream. */
export function decodeHexZlib(hex: string): string | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  try {
    return inflateSync(Buffer.from(hex, 'hex')).toString('utf8');
  } catch {
    return undefined;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string map from Go JSON (null → {}; non-string values dropped). */
export function toStringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

/** A registry Value from Go JSON ({"name","type","values"}), or undefined for null/garbage. */
export function toValue(v: unknown, depth = 0): Value | undefined {
  if (!isObject(v) || depth > 16) return undefined;
  const value: Value = {
    name: typeof v.name === 'string' ? v.name : '',
    type: typeof v.type === 'string' ? v.type : '',
  };
  if (Array.isArray(v.values)) {
    const values = v.values.map((x) => toValue(x, depth + 1)).filter((x): x is Value => x !== undefined);
    if (values.length) value.values = values;
  }
  return value;
}

/** A registry Endpoint from Go JSON ({"name","request","response","metadata"}). */
export function toEndpoint(v: unknown): Endpoint | undefined {
  if (!isObject(v) || typeof v.name !== 'string') return undefined;
  const endpoint: Endpoint = { name: v.name, metadata: toStringMap(v.metadata) };
  const request = toValue(v.request);
  const response = toValue(v.response);
  if (request) endpoint.request = request;
  if (response) endpoint.response = response;
  return endpoint;
}

/** Endpoint JSON with go-micro's field order and Go's null for absent pointers. */
export function endpointJson(e: Endpoint): string {
  return JSON.stringify({
    request: e.request ?? null,
    response: e.response ?? null,
    metadata: e.metadata ?? {},
    name: e.name,
  });
}

// ---- mDNS TXT ----------------------------------------------------------------------------------

/** The decoded TXT payload of one mDNS node record. */
export interface MdnsTxt {
  metadata: Record<string, string>;
  service: string;
  version: string;
  endpoints: Endpoint[];
}

const TXT_CHUNK = 255;

/** TXT strings for a node: hex(zlib(JSON)) split into 255-character strings. */
export function encodeTxt(txt: MdnsTxt): string[] {
  const json = JSON.stringify({
    Metadata: txt.metadata,
    Service: txt.service,
    Version: txt.version,
    Endpoints: txt.endpoints.map((e) => JSON.parse(endpointJson(e)) as unknown),
  });
  const encoded = encodeHexZlib(json);
  const out: string[] = [];
  for (let i = 0; i < encoded.length; i += TXT_CHUNK) out.push(encoded.slice(i, i + TXT_CHUNK));
  return out.length ? out : [''];
}

/** Decodes TXT strings (joined in order); undefined when they are not a go-micro record. */
export function decodeTxt(record: ReadonlyArray<string | Uint8Array>): MdnsTxt | undefined {
  const joined = record.map((r) => (typeof r === 'string' ? r : Buffer.from(r).toString('utf8'))).join('');
  const parsed = parseJson(decodeHexZlib(joined));
  if (!isObject(parsed) || typeof parsed.Service !== 'string' || !parsed.Service) return undefined;
  return {
    metadata: toStringMap(parsed.Metadata),
    service: parsed.Service,
    version: typeof parsed.Version === 'string' ? parsed.Version : '',
    endpoints: Array.isArray(parsed.Endpoints)
      ? parsed.Endpoints.map(toEndpoint).filter((e): e is Endpoint => e !== undefined)
      : [],
  };
}

// ---- Consul tags -------------------------------------------------------------------------------

/** go-micro's tags for a node: one t- per metadata key, one e- per endpoint, one v-. */
export function encodeTags(
  metadata: Record<string, string>,
  endpoints: Endpoint[],
  version: string,
): string[] {
  const tags = Object.entries(metadata).map(([k, v]) => 't-' + encodeHexZlib(JSON.stringify({ [k]: v })));
  for (const e of endpoints) tags.push('e-' + encodeHexZlib(endpointJson(e)));
  tags.push('v-' + encodeHexZlib(version));
  return tags;
}

/**
 * The payloads of tags with `prefix` (t, e or v), plain or hex. As in go-micro, the first form
 * found (`-` or `=`) wins and tags of the other form are ignored.
 */
function tagPayloads(tags: readonly string[], prefix: string): string[] {
  let form: string | undefined;
  const out: string[] = [];
  for (const tag of tags) {
    if (tag.length < 2 || tag[0] !== prefix || (tag[1] !== '-' && tag[1] !== '=')) continue;
    if (form !== undefined && tag[1] !== form) continue;
    form = tag[1];
    const payload = tag[1] === '=' ? tag.slice(2) : decodeHexZlib(tag.slice(2));
    if (payload !== undefined) out.push(payload);
  }
  return out;
}

export function decodeMetadataTags(tags: readonly string[]): Record<string, string> {
  const md: Record<string, string> = {};
  for (const payload of tagPayloads(tags, 't')) Object.assign(md, toStringMap(parseJson(payload)));
  return md;
}

export function decodeEndpointTags(tags: readonly string[]): Endpoint[] {
  return tagPayloads(tags, 'e')
    .map((p) => toEndpoint(parseJson(p)))
    .filter((e): e is Endpoint => e !== undefined);
}

/** The version from a v-/v= tag, or undefined when there is none. */
export function decodeVersionTag(tags: readonly string[]): string | undefined {
  for (const tag of tags) {
    if (tag.length < 2 || tag[0] !== 'v') continue;
    if (tag[1] === '=') return tag.slice(2);
    if (tag[1] === '-') {
      const v = decodeHexZlib(tag.slice(2));
      if (v !== undefined) return v;
    }
  }
  return undefined;
}
