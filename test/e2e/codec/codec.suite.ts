/**
 * Codecs through a live server, run once per transport: a Nest service (the sample greeter and a
 * codec fixture) and a caller app, found through a shared memory registry. Every codec round trips;
 * the server answers each caller in the caller's Content-Type; an unknown type is a 415 listing the
 * supported ones; validation failures are 400s naming each field; hostile JSON pollutes nothing.
 */
import 'reflect-metadata';
import { request } from 'node:http';
import { Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../../lib/core/transport/index.js';
import { defaultCodecs, JsonCodec, type Codec } from '../../../lib/core/codec/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MicroClient, MicroError, MicroModule } from '../../../lib/index.js';
import { GreeterController, GreeterProto } from '../../../sample/greeter.controller.js';
import { CodecController } from './codec.fixture.js';
import { closePair, startPair, type AppPair } from '../../support/apps.js';

/** A codec only the caller knows (JSON under another type): the server must refuse it with a 415. */
const json = new JsonCodec();
const yamlish: Codec = {
  name: 'yamlish',
  contentType: 'application/x-yaml',
  encodeRequest: (header, body) => json.encodeRequest(header, body),
  decodeRequest: (data) => json.decodeRequest(data),
  encodeResponse: (header, body) => json.encodeResponse(header, body),
  decodeResponse: (data) => json.decodeResponse(data),
  marshal: (value) => json.marshal(value),
  unmarshal: (data) => json.unmarshal(data),
};

const SUPPORTED = [
  'application/json',
  'application/json-rpc',
  'application/protobuf',
  'application/proto-rpc',
  'application/octet-stream',
];

const failure = (p: Promise<unknown>): Promise<MicroError> =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as MicroError,
  );

const mucp = (endpoint: string, contentType: string): Record<string, string> => ({
  'Content-Type': contentType,
  'Micro-Service': 'codecs',
  'Micro-Endpoint': endpoint,
  'Micro-Method': endpoint,
  'Micro-Id': '7',
});

export function codecSuite(transport: 'http' | 'tcp'): void {
  const registry = new MemoryRegistry();
  const broker = new MemoryBroker();

  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'codecs',
        address: '127.0.0.1:0',
        registry,
        broker,
        env: false,
        transport: createTransport(transport),
      }),
    ],
    controllers: [GreeterController, CodecController],
  })
  class ServiceModule {}

  const callerCodecs: Codec[] = [...defaultCodecs(), yamlish];
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'codec-caller',
        registry,
        broker,
        env: false,
        codecs: callerCodecs,
        transport: createTransport(transport),
        client: { retries: 0 },
      }),
    ],
  })
  class CallerModule {}

  let client: MicroClient;
  let address: string;

  const call = <T = unknown>(endpoint: string, data: unknown, options: Record<string, unknown> = {}) =>
    client.call<T>('codecs', endpoint, data, options);
  /** A go-micro style HTTP POST (the tcp transport's port answers HTTP too). */
  function post(headers: Record<string, string>, body: string | Buffer) {
    const [host, port] = address.split(':');
    return new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request({ host, port: Number(port), method: 'POST', path: '/', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  let pair: AppPair | undefined;

  beforeAll(async () => {
    pair = await startPair(ServiceModule, CallerModule, false);
    address = pair.address;
    client = pair.caller.get(MicroClient);
  });

  afterAll(() => closePair(pair));

  describe(`codecs through a live server over the ${transport} transport`, () => {
    it('the sample greeter answers in JSON and in protobuf alike', async () => {
      expect(await call('Greeter.Hello', { name: 'John' })).toEqual({ msg: 'Hello John' });
      const proto = { contentType: 'application/protobuf', protobuf: GreeterProto };
      const reply = await call('Greeter.Hello', { name: 'Ana' }, proto);
      expect(GreeterProto.response.toObject(reply as never)).toEqual({ msg: 'Hello Ana' });
      const rpc = { contentType: 'application/proto-rpc', protobuf: GreeterProto };
      expect(
        GreeterProto.response.toObject((await call('Greeter.Hello', { name: 'Bo' }, rpc)) as never),
      ).toEqual({ msg: 'Hello Bo' });
    });

    it('protobuf on the wire is go-micro bytes: a raw POST gets greeter.Response bytes back', async () => {
      const body = Buffer.from(GreeterProto.request.encode({ name: 'Go' }).finish());
      const res = await post(mucp('Greeter.Hello', 'application/protobuf'), body);
      expect(res.headers['content-type']).toBe('application/protobuf');
      expect(GreeterProto.response.toObject(GreeterProto.response.decode(res.body))).toEqual({
        msg: 'Hello Go',
      });
    });

    it('json and json-rpc round trip the same value', async () => {
      const value = { a: 1, list: ['x', { y: true }], nested: { n: null } };
      expect(await call('Codec.Echo', value)).toEqual({ echo: value });
      expect(await call('Codec.Echo', value, { contentType: 'application/json-rpc' })).toEqual({
        echo: value,
      });
    });

    // go-micro reads the id with fmt.Sprintf("%v") and echoes it as a string.
    it('json-rpc on the wire: {"id","result","error"} in reply to {"method","params":[req],"id"}', async () => {
      const res = await post(
        { 'Content-Type': 'application/json-rpc', 'Micro-Service': 'codecs' },
        JSON.stringify({ method: 'Codec.Echo', params: [{ k: 'v' }], id: 42 }),
      );
      expect(JSON.parse(res.body.toString())).toEqual({
        id: '42',
        result: { echo: { k: 'v' } },
        error: null,
      });
    });

    it('octet-stream carries raw bytes both ways', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      const reply = await call<Buffer>('Codec.Reverse', bytes, { contentType: 'application/octet-stream' });
      expect(Buffer.from(reply)).toEqual(Buffer.from([255, 250, 2, 1, 0]));
    });

    it('an unknown Content-Type is a 415 listing the supported types (client codec and raw POST)', async () => {
      const error = await failure(call('Codec.Echo', { a: 1 }, { contentType: 'application/x-yaml' }));
      expect(error).toBeInstanceOf(MicroError);
      expect(error.code).toBe(415);
      for (const type of SUPPORTED) expect(error.detail).toContain(type);
      const res = await post(mucp('Codec.Echo', 'text/xml'), '<a/>');
      const raw = MicroError.parse(res.headers['micro-error'] as string);
      expect(raw.code).toBe(415);
      expect(raw.detail).toContain('"text/xml"');
      for (const type of SUPPORTED) expect(raw.detail).toContain(type);
    });

    it('a protobuf body that does not parse is a 400', async () => {
      const res = await post(mucp('Greeter.Hello', 'application/protobuf'), Buffer.from([0x0a, 0xff, 0xff]));
      expect(MicroError.parse(res.headers['micro-error'] as string).code).toBe(400);
    });

    it('validation failures are 400s whose detail names each field and constraint, in every codec', async () => {
      for (const contentType of ['application/json', 'application/json-rpc']) {
        const error = await failure(call('Codec.Order', { sku: 'x', quantity: 500 }, { contentType }));
        expect(error.code).toBe(400);
        expect(error.detail).toMatch(/^OrderRequest validation failed: /);
        expect(error.detail).toContain('sku must be longer than or equal to 3 characters [minLength]');
        expect(error.detail).toContain('quantity: quantity must not be greater than 100 [max]');
      }
      expect(await call('Codec.Order', { sku: 'abc', quantity: 3 })).toEqual({ total: 6, isInstance: true });
    });

    it('__proto__ and constructor keys pollute no prototype inside the server', async () => {
      const hostile = JSON.parse(
        '{"sku":"abcd","quantity":1,"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
      ) as unknown;
      for (const contentType of ['application/json', 'application/json-rpc']) {
        expect(await call('Codec.Probe', hostile, { contentType })).toMatchObject({
          polluted: null,
          inheritedPolluted: null,
        });
        expect(await call('Codec.ProbeOrder', hostile, { contentType })).toEqual({
          polluted: null,
          classPolluted: null,
          sku: 'abcd',
        });
      }
      const res = await post(mucp('Codec.Probe', 'application/json'), JSON.stringify(hostile));
      expect(JSON.parse(res.body.toString())).toMatchObject({ polluted: null, inheritedPolluted: null });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('keeps serving in every codec after the bad input', async () => {
      expect(await call('Greeter.Hello', { name: 'after' })).toEqual({ msg: 'Hello after' });
      const proto = { contentType: 'application/protobuf', protobuf: GreeterProto };
      expect(
        GreeterProto.response.toObject((await call('Greeter.Hello', { name: 'p' }, proto)) as never),
      ).toEqual({
        msg: 'Hello p',
      });
    });
  });
}
