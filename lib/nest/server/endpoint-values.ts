/**
 * Builds a registry `Value` tree (go-micro's server/extractor.go) from a DTO class, for the
 * request/response of an announced endpoint. Property names come from class-validator's metadata
 * storage and class-transformer's (@Expose/@Type); property types from `design:type`, the
 * validators (@IsString, @IsInt, …, `each: true` for arrays) and @Type(() => Elem). Arrays are
 * `[]Elem` and, as in go-micro, not expanded; nesting stops at depth 3.
 */
import { createRequire } from 'node:module';
import { validationMetadata } from '../validation/libraries.js';
import type { Value } from '../../core/registry/registry.js';

const MAX_DEPTH = 3;

/** Go-style names for JavaScript's built-in constructors. */
const PRIMITIVES = new Map<unknown, string>([
  [String, 'string'],
  [Number, 'float64'],
  [Boolean, 'bool'],
  [Date, 'Time'],
  [BigInt, 'int64'],
  [Object, 'map[string]any'],
  [Buffer, '[]byte'],
  [Uint8Array, '[]byte'],
]);

/** class-validator names that pin a property's type when `design:type` is missing or wider. */
const VALIDATOR_TYPES: Record<string, string> = {
  isString: 'string',
  isInt: 'int64',
  isNumber: 'float64',
  isNumberString: 'string',
  isBoolean: 'bool',
  isDate: 'Time',
  isDateString: 'string',
  isISO8601: 'string',
  isUUID: 'string',
  isEmail: 'string',
  isEnum: 'string',
  isObject: 'map[string]any',
};

interface TransformerStorage {
  findTypeMetadata(target: Function, property: string): { typeFunction?: () => Function } | undefined;
  getExposedMetadatas(target: Function): Array<{ propertyName?: string }>;
}

/** class-transformer's singleton storage (the one its decorators write to), when installed; loaded on first use. */
let transformer: { storage?: TransformerStorage } | undefined;
function transformerStorage(): TransformerStorage | undefined {
  transformer ??= (() => {
    try {
      const required = createRequire(import.meta.url)('class-transformer/cjs/storage.js') as {
        defaultMetadataStorage?: TransformerStorage;
      };
      return { storage: required.defaultMetadataStorage };
    } catch {
      return {};
    }
  })();
  return transformer.storage;
}

function typeName(type: Function | undefined): string | undefined {
  if (!type) return undefined;
  return PRIMITIVES.get(type) ?? (type.name || undefined);
}

function isDto(type: unknown): type is Function {
  return (
    typeof type === 'function' &&
    !PRIMITIVES.has(type) &&
    type !== Array &&
    type !== Promise &&
    type.name !== ''
  );
}

/** Names of the described properties of a class (validators, @Expose, @Type), parents first. */
function propertyNames(type: Function): string[] {
  const names = new Set<string>();
  try {
    for (const m of validationMetadata()?.getTargetValidationMetadatas(type, '', true, false) ?? [])
      if (m.propertyName) names.add(m.propertyName);
  } catch {
    /* no class-validator metadata */
  }
  for (const m of transformerStorage()?.getExposedMetadatas(type) ?? [])
    if (m.propertyName) names.add(m.propertyName);
  return [...names];
}

function validatorsOf(type: Function, property: string): Array<{ name?: string; each: boolean }> {
  try {
    return (validationMetadata()?.getTargetValidationMetadatas(type, '', true, false) ?? []).filter(
      (m) => m.propertyName === property,
    );
  } catch {
    return [];
  }
}

/** The element class of an array property, from @Type(() => Elem). */
function elementType(owner: Function, property: string): Function | undefined {
  try {
    return transformerStorage()?.findTypeMetadata(owner, property)?.typeFunction?.();
  } catch {
    return undefined;
  }
}

/** `design:type` via reflect-metadata's Reflect.getMetadata (loaded by Nest), if present. */
function designTypeOf(owner: Function, property: string): Function | undefined {
  const reflect = Reflect as unknown as {
    getMetadata?: (key: string, target: object, prop: string) => unknown;
  };
  const type = reflect.getMetadata?.('design:type', owner.prototype as object, property);
  return typeof type === 'function' ? (type as Function) : undefined;
}

function propertyValue(owner: Function, property: string, depth: number): Value | undefined {
  if (depth >= MAX_DEPTH) return undefined;
  const designType = designTypeOf(owner, property);
  const validators = validatorsOf(owner, property);
  const declared = elementType(owner, property);
  const isArray =
    designType === Array || validators.some((v) => v.name === 'isArray' || (v.each && v.name !== undefined));
  const pinned = validators.map((v) => (v.name ? VALIDATOR_TYPES[v.name] : undefined)).find((t) => t);

  if (isArray) {
    const elem = typeName(declared) ?? pinned ?? 'any';
    return { name: property, type: `[]${elem}` };
  }
  const type = declared ?? designType;
  if (isDto(type)) return valueFromClass(type, property, depth);
  return { name: property, type: pinned ?? typeName(type) ?? 'any' };
}

function valueFromClass(type: Function, name: string, depth: number): Value {
  const value: Value = { name, type: type.name };
  const values = propertyNames(type)
    .map((p) => propertyValue(type, p, depth + 1))
    .filter((v): v is Value => v !== undefined);
  if (values.length) value.values = values;
  return value;
}

/**
 * The Value tree of a handler parameter type (from `design:paramtypes`). `undefined` for types that
 * describe nothing (Object/any, Function, Promise, undefined), so the endpoint omits request/response.
 */
export function valueFromType(type: Function | undefined, name?: string): Value | undefined {
  if (!type || type === Object || type === Function || type === Promise) return undefined;
  if (type === Array) return { name: name ?? 'Array', type: '[]any' };
  const primitive = PRIMITIVES.get(type);
  if (primitive) return { name: name ?? primitive, type: primitive };
  if (!type.name) return undefined;
  return valueFromClass(type, name ?? type.name, 0);
}
