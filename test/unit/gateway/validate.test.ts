// Request bodies against registry field trees (Go and nest-micro type names), and GET queries typed by them.
import { describe, expect, it } from 'vitest';
import type { Value } from '../../../lib/core/registry/registry.js';
import { fromQuery, validateRequest } from '../../../lib/gateway/validate.js';

const tree: Value = {
  name: 'Request',
  type: 'Request',
  values: [
    { name: 'name', type: 'string' },
    { name: 'age', type: 'int32' },
    { name: 'id', type: 'int64' },
    { name: 'score', type: 'float64' },
    { name: 'ok', type: 'bool' },
    { name: 'tags', type: '[]string' },
    { name: 'labels', type: 'map[string]string' },
    { name: 'blob', type: '[]byte' },
    { name: 'when', type: 'Time' },
    { name: 'any', type: 'interface{}' },
    { name: 'owner', type: '*User', values: [{ name: 'email', type: 'string' }] },
  ],
};

const check = (body: unknown): string | undefined => {
  try {
    validateRequest('Svc.Call', tree, body);
    return undefined;
  } catch (error) {
    return (error as { code: number; detail: string }).code + ' ' + (error as { detail: string }).detail;
  }
};

describe('validateRequest', () => {
  it('accepts bodies that fit, nulls, unknown fields and protojson int64 strings', () => {
    expect(
      check({
        name: 'a',
        age: 3,
        id: '9007199254740993',
        score: 1.5,
        ok: false,
        tags: ['x'],
        labels: { a: 'b' },
        blob: 'AAE=',
        when: '2026-01-01T00:00:00Z',
        any: [1, { x: 2 }],
        owner: { email: 'e' },
        extra: true,
      }),
    ).toBeUndefined();
    expect(check({ name: null, owner: null })).toBeUndefined();
    expect(check({})).toBeUndefined();
  });

  it.each([
    [[1], '400 Svc.Call: invalid request: the body: expected an object, got an array'],
    [{ name: 1 }, '400 Svc.Call: invalid request: name: expected a string, got number 1'],
    [{ age: 1.5 }, '400 Svc.Call: invalid request: age: expected an integer, got number 1.5'],
    [{ age: '3' }, '400 Svc.Call: invalid request: age: expected an integer, got string "3"'],
    [{ ok: 'yes' }, '400 Svc.Call: invalid request: ok: expected a boolean, got string "yes"'],
    [{ tags: ['a', 2] }, '400 Svc.Call: invalid request: tags[1]: expected a string, got number 2'],
    [{ labels: [] }, '400 Svc.Call: invalid request: labels: expected an object, got an array'],
    [{ owner: { email: 5 } }, '400 Svc.Call: invalid request: owner.email: expected a string, got number 5'],
  ])('%j is a 400 naming the field', (body, detail) => {
    expect(check(body)).toBe(detail);
  });

  it('accepts anything when the endpoint announces no request tree', () => {
    expect(() => validateRequest('Svc.Call', undefined, [1, 2])).not.toThrow();
  });
});

describe('fromQuery', () => {
  it('types values by the tree, repeats and lists as arrays, drops prototype keys', () => {
    const q = new URLSearchParams('name=Ann&age=3&ok=true&tags=a&tags=b&score=x&__proto__=1&other=1&other=2');
    expect(fromQuery(q, tree)).toEqual({
      name: 'Ann',
      age: 3,
      ok: true,
      tags: ['a', 'b'],
      score: 'x',
      other: ['1', '2'],
    });
  });
});
