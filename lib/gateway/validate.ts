/**
 * A request body checked against the endpoint's field tree (the registry's Value: go-micro's type
 * names, as Go services and nest-micro's DTOs announce them) before any call is made, so a body the
 * service cannot decode is a 400 naming the field instead of a round trip. The tree says types, not
 * which fields are required, and Go's decoder ignores unknown fields: only the type of each field
 * present is checked (null is allowed, as Go decodes it to the zero value). Unknown type names
 * (another struct without its fields, `any`, interfaces) accept anything.
 * `fromQuery` turns a GET's query string into a request the same tree describes.
 */
import { MicroError } from '../core/errors/micro-error.js';
import type { Value } from '../core/registry/registry.js';
import { GATEWAY_ERROR_ID } from './http-io.js';

type Kind = 'string' | 'integer' | 'unsigned' | 'number' | 'boolean' | 'array' | 'object' | 'bytes' | 'any';

const INTEGER = /^int(8|16|32|64)?$/;
const UNSIGNED = /^uint(8|16|32|64|ptr)?$/;

function kindOf(type: string, hasFields: boolean): { kind: Kind; element?: string } {
  const t = type.replace(/^\*+/, '');
  if (t === '[]byte' || t === '[]uint8') return { kind: 'bytes' };
  // protobuf's Timestamp and Duration: strings in protojson, {seconds, nanos} in Go's encoding/json
  if (t === 'Timestamp' || t === 'Duration') return { kind: 'any' };
  if (t.startsWith('[]')) return { kind: 'array', element: t.slice(2) };
  if (t.startsWith('map[')) return { kind: 'object' };
  if (t === 'string' || t === 'Time' || t === 'time.Time' || t === 'Duration') return { kind: 'string' };
  if (t === 'bool' || t === 'boolean') return { kind: 'boolean' };
  if (INTEGER.test(t)) return { kind: 'integer' };
  if (UNSIGNED.test(t)) return { kind: 'unsigned' };
  if (t === 'float32' || t === 'float64' || t === 'number') return { kind: 'number' };
  return { kind: hasFields ? 'object' : 'any' };
}

const WORD: Record<Kind, string> = {
  string: 'a string',
  integer: 'an integer',
  unsigned: 'a non-negative integer',
  number: 'a number',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
  bytes: 'a base64 string',
  any: 'anything',
};

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

/** int64 and uint64 may come as decimal strings (protobuf's JSON mapping writes them so). */
const fits = (kind: Kind, type: string, v: unknown): boolean => {
  switch (kind) {
    case 'string':
    case 'bytes':
      return typeof v === 'string';
    case 'integer':
      return (
        (typeof v === 'number' && Number.isInteger(v)) ||
        (type.endsWith('64') && typeof v === 'string' && /^-?\d+$/.test(v))
      );
    case 'unsigned':
      return (
        (typeof v === 'number' && Number.isInteger(v) && v >= 0) ||
        (type.endsWith('64') && typeof v === 'string' && /^\d+$/.test(v))
      );
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'any':
      return true;
  }
};

/** The first mismatch under `path`, as "field: expected …, got …", or undefined when it fits. */
function mismatch(tree: Value, value: unknown, path: string, depth: number): string | undefined {
  if (value === null || value === undefined || depth > 32) return undefined;
  const fields = tree.values ?? [];
  const { kind, element } = kindOf(tree.type, fields.length > 0);
  if (!fits(kind, tree.type, value))
    return `${path || 'the body'}: expected ${WORD[kind]}, got ${describe(value)}`;
  if (kind === 'array' && element) {
    const elementTree: Value = { name: tree.name, type: element };
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      const why = mismatch(elementTree, items[i], `${path}[${i}]`, depth + 1);
      if (why) return why;
    }
  }
  if (kind === 'object' && fields.length > 0) {
    const object = value as Record<string, unknown>;
    for (const field of fields) {
      if (!Object.hasOwn(object, field.name)) continue;
      const why = mismatch(field, object[field.name], path ? `${path}.${field.name}` : field.name, depth + 1);
      if (why) return why;
    }
  }
  return undefined;
}

/** Throws a 400 naming the first field of `body` that does not fit the endpoint's request tree. */
export function validateRequest(endpoint: string, tree: Value | undefined, body: unknown): void {
  if (!tree) return;
  const why = mismatch(tree, body, '', 0);
  if (why) throw MicroError.badRequest(GATEWAY_ERROR_ID, `${endpoint}: invalid request: ${why}`);
}

/**
 * A GET's query as the request object: `?name=John&age=3&tag=a&tag=b`. Values the tree types as
 * numbers or booleans are converted (a value that does not convert is left a string, so validation
 * names it); repeated keys, or a field typed as a list, become arrays.
 */
export function fromQuery(query: URLSearchParams, tree: Value | undefined): Record<string, unknown> {
  const types = new Map((tree?.values ?? []).map((v) => [v.name, v]));
  const request: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const all = query.getAll(key);
    const field = types.get(key);
    const { kind, element } = field
      ? kindOf(field.type, (field.values ?? []).length > 0)
      : { kind: 'any' as Kind };
    if (kind === 'array') {
      const elementKind = kindOf(element ?? 'any', false).kind;
      request[key] = all.map((v) => convert(elementKind, v));
    } else request[key] = all.length > 1 ? all.map((v) => convert(kind, v)) : convert(kind, all[0]!);
  }
  return request;
}

function convert(kind: Kind, text: string): unknown {
  if ((kind === 'integer' || kind === 'unsigned' || kind === 'number') && text.trim() !== '') {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (kind === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}
