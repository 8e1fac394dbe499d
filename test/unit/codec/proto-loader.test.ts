import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isProtoSchema } from '../../../lib/core/codec/proto-schema.js';
import { loadProto, loadProtoSync, parseProto, protoType } from '../../../lib/core/codec/index.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';

const GREETER = fileURLToPath(new URL('../../../sample/proto/greeter.proto', import.meta.url));

describe('proto loading', () => {
  it('loads the sample greeter and finds its types and service', async () => {
    const root = await loadProto(GREETER);
    expect(protoType(root, 'greeter.Request').fieldsArray.map((f) => f.name)).toEqual(['name']);
    expect(protoType(root, 'greeter.Response').fieldsArray.map((f) => f.name)).toEqual(['msg']);
    expect(Object.keys(root.lookupService('greeter.Greeter').methods)).toEqual(['Hello', 'Stream']);
    expect(isProtoSchema(protoType(loadProtoSync(GREETER), 'greeter.Request'))).toBe(true);
    expect(isProtoSchema({})).toBe(false);
  });

  it('uses lowerCamelCase field names unless keepCase is set', () => {
    const source = 'syntax = "proto3"; message M { string user_name = 1; }';
    expect(protoType(parseProto(source), 'M').fieldsArray[0]!.name).toBe('userName');
    expect(protoType(parseProto(source, { keepCase: true }), 'M').fieldsArray[0]!.name).toBe('user_name');
  });

  it('reports a missing file, bad source or unknown type as a MicroError naming it', async () => {
    await expect(loadProto('/nonexistent/x.proto')).rejects.toMatchObject({ code: 500, detail: /x\.proto/ });
    expect(() => loadProtoSync('/nonexistent/y.proto')).toThrow(MicroError);
    expect(() => parseProto('message {')).toThrow(/cannot parse/);
    const root = loadProtoSync(GREETER);
    expect(() => protoType(root, 'greeter.Nope')).toThrow(/greeter\.Nope/);
  });
});
