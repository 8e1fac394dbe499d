/**
 * A clean copy of decoded payload data before it is turned into class instances: own keys
 * `__proto__`, `constructor` and `prototype` are dropped at every depth, only plain data is kept,
 * and nesting deeper than `maxDepth` is refused (no stack overflow on hostile input). Iterative,
 * so the depth bound, not the call stack, is the only limit.
 */
const DANGEROUS = new Set(['__proto__', 'constructor', 'prototype']);

export class TooDeepError extends Error {
  constructor(readonly maxDepth: number) {
    super(`payload nests deeper than ${maxDepth} levels`);
  }
}

interface Pending {
  source: object;
  target: Record<string, unknown> | unknown[];
  depth: number;
}

/** A copy of `value` safe to hand to class-transformer. Non-plain objects (Buffer, Date) are kept as they are. */
export function sanitize(value: unknown, maxDepth: number): unknown {
  if (!isContainer(value)) return value;
  const root = emptyLike(value);
  const stack: Pending[] = [{ source: value, target: root, depth: 1 }];
  while (stack.length > 0) {
    const { source, target, depth } = stack.pop()!;
    if (depth > maxDepth) throw new TooDeepError(maxDepth);
    for (const key of Object.keys(source)) {
      if (DANGEROUS.has(key)) continue;
      const child = (source as Record<string, unknown>)[key];
      let copy = child;
      if (isContainer(child)) {
        copy = emptyLike(child);
        stack.push({ source: child, target: copy as Pending['target'], depth: depth + 1 });
      }
      Object.defineProperty(target, key, {
        value: copy,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return root;
}

function isContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function emptyLike(value: object): Record<string, unknown> | unknown[] {
  return Array.isArray(value) ? [] : {};
}
