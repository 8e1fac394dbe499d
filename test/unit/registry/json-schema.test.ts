// JSON Schema from registry field trees: Go's type names (server/extractor.go: int32, []string,
// unnamed maps as "", nested structs), Node's (endpoint-values: float64, Time, map[string]any,
// []Elem, classes), protobuf's well-known types, and endpoint examples.
import { describe, expect, it } from 'vitest';
import {
  endpointExample,
  requestSchema,
  responseSchema,
  typeSchema,
  valueSchema,
  type Endpoint,
} from '../../../lib/core/registry/index.js';

describe('typeSchema', () => {
  it('maps go-micro scalar type names', () => {
    expect(typeSchema('string')).toEqual({ type: 'string' });
    expect(typeSchema('bool')).toEqual({ type: 'boolean' });
    expect(typeSchema('int64')).toEqual({ type: 'integer' });
    expect(typeSchema('uint64')).toEqual({ type: 'integer' });
    expect(typeSchema('int32')).toEqual({ type: 'integer', minimum: -2147483648, maximum: 2147483647 });
    expect(typeSchema('uint8')).toEqual({ type: 'integer', minimum: 0, maximum: 255 });
    expect(typeSchema('float32')).toEqual({ type: 'number' });
    expect(typeSchema('float64')).toEqual({ type: 'number' });
    expect(typeSchema('*string')).toEqual({ type: 'string' });
  });

  it('maps Node type names (endpoint-values)', () => {
    expect(typeSchema('Time')).toEqual({ type: 'string', format: 'date-time' });
    expect(typeSchema('[]byte')).toEqual({ type: 'string', contentEncoding: 'base64' });
    expect(typeSchema('[]uint8')).toEqual({ type: 'string', contentEncoding: 'base64' });
    expect(typeSchema('map[string]any')).toEqual({ type: 'object', additionalProperties: {} });
    expect(typeSchema('any')).toEqual({});
  });

  it('maps repeated fields and maps, nested', () => {
    expect(typeSchema('[]string')).toEqual({ type: 'array', items: { type: 'string' } });
    expect(typeSchema('[][]int64')).toEqual({
      type: 'array',
      items: { type: 'array', items: { type: 'integer' } },
    });
    expect(typeSchema('[]Item')).toEqual({ type: 'array', items: {} });
    expect(typeSchema('map[string]string')).toEqual({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(typeSchema('map[string][]float64')).toEqual({
      type: 'object',
      additionalProperties: { type: 'array', items: { type: 'number' } },
    });
    expect(typeSchema('map[string]map[string]bool')).toEqual({
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: { type: 'boolean' } },
    });
  });

  it('leaves named types it cannot know undescribed', () => {
    expect(typeSchema('Status')).toBeUndefined();
    expect(typeSchema('map[string')).toBeUndefined();
  });
});

describe('valueSchema', () => {
  it('expands nested messages and describes each field by name and type', () => {
    const schema = valueSchema({
      name: 'CreateRequest',
      type: 'CreateRequest',
      values: [
        { name: 'title', type: 'string' },
        { name: 'tags', type: '[]string' },
        { name: 'labels', type: '' }, // Go: an unnamed map type has no name
        {
          name: 'author',
          type: 'Author',
          values: [
            { name: 'id', type: 'int64' },
            { name: 'joined', type: 'Time' },
          ],
        },
      ],
    });
    expect(schema).toEqual({
      type: 'object',
      properties: {
        title: { type: 'string', description: 'title (string)' },
        tags: { type: 'array', items: { type: 'string' }, description: 'tags ([]string)' },
        labels: { description: 'labels ()' },
        author: {
          type: 'object',
          description: 'author (Author)',
          properties: {
            id: { type: 'integer', description: 'id (int64)' },
            joined: { type: 'string', format: 'date-time', description: 'joined (Time)' },
          },
        },
      },
    });
  });

  it('writes protobuf Timestamp and Duration as protojson strings', () => {
    const ts = {
      name: 'at',
      type: 'Timestamp',
      values: [
        { name: 'seconds', type: 'int64' },
        { name: 'nanos', type: 'int32' },
      ],
    };
    expect(valueSchema(ts)).toEqual({ type: 'string', format: 'date-time' });
    expect(valueSchema({ ...ts, type: 'Duration' }).type).toBe('string');
  });

  it('ignores nameless and duplicate fields', () => {
    const schema = valueSchema({
      name: 'R',
      type: 'R',
      values: [
        { name: '', type: 'string' },
        { name: 'a', type: 'string' },
        { name: 'a', type: 'int64' },
      ],
    });
    expect(Object.keys(schema.properties ?? {})).toEqual(['a']);
    expect(schema.properties?.a?.type).toBe('string');
  });

  it('does not let a field named __proto__ reach the prototype', () => {
    const schema = valueSchema({ name: 'R', type: 'R', values: [{ name: '__proto__', type: 'string' }] });
    expect(Object.getPrototypeOf(schema.properties)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(schema.properties)) as unknown).toEqual(
      JSON.parse('{"__proto__":{"type":"string","description":"__proto__ (string)"}}'),
    );
  });
});

const endpoint = (e: Partial<Endpoint>): Endpoint => ({ name: 'Greeter.Hello', metadata: {}, ...e });

describe('requestSchema / responseSchema', () => {
  it("is an object for Go's request messages, with fields from the tree", () => {
    const schema = requestSchema(
      endpoint({
        request: {
          name: 'Request',
          type: 'Request',
          values: [
            { name: 'name', type: 'string' },
            { name: 'count', type: 'int32' },
          ],
        },
      }),
    );
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties ?? {})).toEqual(['name', 'count']);
  });

  it('is an empty object for a message without fields or no announced request', () => {
    expect(requestSchema(endpoint({ request: { name: 'Empty', type: 'Empty' } }))).toEqual({
      type: 'object',
      properties: {},
    });
    expect(requestSchema(endpoint({}))).toEqual({ type: 'object', properties: {} });
    expect(responseSchema(endpoint({}))).toEqual({ type: 'object', properties: {} });
  });

  it('keeps a scalar or untyped request as what it is', () => {
    expect(requestSchema(endpoint({ request: { name: 'string', type: 'string' } }))).toEqual({
      type: 'string',
    });
    expect(requestSchema(endpoint({ request: { name: 'Array', type: '[]any' } }))).toEqual({
      type: 'array',
      items: {},
    });
  });

  it('adds the metadata example when it is JSON', () => {
    const withExample = endpoint({ metadata: { example: '{"name":"John"}' } });
    expect(endpointExample(withExample)).toEqual({ name: 'John' });
    expect(requestSchema(withExample).examples).toEqual([{ name: 'John' }]);
    const notJson = endpoint({ metadata: { example: 'name=John' } });
    expect(endpointExample(notJson)).toBeUndefined();
    expect(requestSchema(notJson).examples).toBeUndefined();
  });
});
