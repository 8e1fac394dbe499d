/**
 * JSON Schema (draft 2020-12) from the request/response field trees endpoints announce in the
 * registry (go-micro's registry.Value, built by go-micro's server/extractor.go for Go services and by
 * nest-micro's endpoint-values for Nest ones). Used by the MCP server for tool input schemas and by
 * the API gateway for OpenAPI and request validation.
 *
 * go-micro's MCP gateway maps only the top-level fields (string, int*, uint*, float*, bool, else
 * "object") and describes each as "<name> field". This goes further where the tree says more:
 * nested messages are expanded, `[]T` is an array of T, `map[K]V` an object of V, `[]byte` base64
 * text, `Time` (and protobuf's Timestamp/Duration) strings. A type the tree does not describe
 * (Go's unnamed map or interface, a Nest `any`, an enum) accepts any value. No field is `required`
 * (a registry Value does not say, and proto3 fields are all optional).
 */
import type { Endpoint, Value } from './registry.js';

/** A JSON Schema object (the subset this module writes; other keywords pass through). */
export interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  format?: string;
  contentEncoding?: string;
  minimum?: number;
  maximum?: number;
  examples?: unknown[];
  [keyword: string]: unknown;
}

const INTEGER_RANGES: Record<string, [number, number] | undefined> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  rune: [-2147483648, 2147483647],
  uint8: [0, 255],
  byte: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
};
const INTEGERS = new Set(['int', 'int64', 'uint', 'uint64', 'uintptr', ...Object.keys(INTEGER_RANGES)]);
const NUMBERS = new Set(['float32', 'float64', 'number', 'double', 'float']);
const STRINGS = new Set(['string']);
const BOOLEANS = new Set(['bool', 'boolean']);
/** Types that say nothing about their JSON: any value is accepted. */
const ANY = new Set(['', 'any', 'interface{}', 'interface {}', 'unknown']);

/** The schema of a type name alone (no field tree): scalars, `[]T`, `map[K]V`, Time; else undefined. */
export function typeSchema(type: string): JsonSchema | undefined {
  const t = type.replace(/^\*+/, '');
  if (STRINGS.has(t)) return { type: 'string' };
  if (BOOLEANS.has(t)) return { type: 'boolean' };
  if (NUMBERS.has(t)) return { type: 'number' };
  if (INTEGERS.has(t)) {
    const range = INTEGER_RANGES[t];
    return range ? { type: 'integer', minimum: range[0], maximum: range[1] } : { type: 'integer' };
  }
  if (t === 'Time') return { type: 'string', format: 'date-time' };
  if (t === '[]byte' || t === '[]uint8') return { type: 'string', contentEncoding: 'base64' };
  if (t.startsWith('[]')) return { type: 'array', items: typeSchema(t.slice(2)) ?? {} };
  if (t.startsWith('map[')) {
    const close = closingBracket(t, 3);
    if (close > 0) return { type: 'object', additionalProperties: typeSchema(t.slice(close + 1)) ?? {} };
  }
  if (ANY.has(t) || t === 'object') return t === 'object' ? { type: 'object' } : {};
  return undefined;
}

/** Index of the `]` matching the `[` at `open` (map keys may be arrays or maps), or -1. */
function closingBracket(type: string, open: number): number {
  let depth = 0;
  for (let i = open; i < type.length; i++) {
    if (type[i] === '[') depth++;
    else if (type[i] === ']' && --depth === 0) return i;
  }
  return -1;
}

/** protobuf's well-known types, as protojson writes them (Go services encode proto messages so). */
function wellKnown(value: Value): JsonSchema | undefined {
  const fields = (value.values ?? []).map((v) => v.name.toLowerCase()).join(',');
  if (fields !== 'seconds,nanos') return undefined;
  if (value.type === 'Timestamp') return { type: 'string', format: 'date-time' };
  if (value.type === 'Duration') return { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?s$' };
  return undefined;
}

/**
 * The schema of one Value: an object with a property per field when the tree lists fields, else
 * what its type name says (`typeSchema`), else any value. Fields are described "<name> (<type>)".
 */
export function valueSchema(value: Value): JsonSchema {
  const known = wellKnown(value);
  if (known) return known;
  if (value.values?.length) {
    const properties: Record<string, JsonSchema> = {};
    for (const field of value.values) {
      if (!field.name || Object.hasOwn(properties, field.name)) continue;
      // defineProperty: a field named __proto__ is an own property, never the object's prototype
      Object.defineProperty(properties, field.name, {
        value: { ...valueSchema(field), description: `${field.name} (${field.type})` },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return { type: 'object', properties };
  }
  return typeSchema(value.type) ?? {};
}

/** The example announced in endpoint metadata `example` (JSON text), parsed; undefined when absent or not JSON. */
export function endpointExample(endpoint: Endpoint): unknown {
  const text = endpoint.metadata?.example;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The schema of an endpoint's request body. A request announced as a message with no fields (or not
 * announced) is an object with no declared properties, as go-micro's gateway writes it; the
 * endpoint's `example` metadata, when it is JSON, is the schema's `examples`.
 */
export function requestSchema(endpoint: Endpoint): JsonSchema {
  const schema = messageSchema(endpoint.request);
  const example = endpointExample(endpoint);
  if (example !== undefined) schema.examples = [example];
  return schema;
}

/** The schema of an endpoint's response body (an object with no declared properties when not announced). */
export function responseSchema(endpoint: Endpoint): JsonSchema {
  return messageSchema(endpoint.response);
}

/** A top-level request/response: a message unless its type names a scalar, array or map. */
function messageSchema(value: Value | undefined): JsonSchema {
  if (!value) return { type: 'object', properties: {} };
  const schema = valueSchema(value);
  if (schema.type === undefined && !value.values?.length && !ANY.has(value.type.replace(/^\*+/, '')))
    return { type: 'object', properties: {} };
  return schema;
}
