// Unary calls between real go-micro v5.30.0 and nest-micro, both directions, on one Consul at
// 127.0.0.1: a Go `serve` peer (go.greeter), a Node greeter process (node.greeter,
// fixtures/node-greeter.ts), Go clients (`v5peer call`) and an in-process Nest client.
// Every row runs Go client → Node service and Node client → Go service: the four codecs, metadata,
// typed errors, void replies, the Timeout header, unknown services/endpoints, and metadata across a
// Go → Node → Go chain.
import { describe, expect, it } from 'vitest';
import { MicroClient, MicroError } from '../../lib/index.js';
import { consulAvailability } from '../support/consul.js';
import { consulPeers } from './support/consul-peers.js';
import { goAvailability } from './support/go-peer.js';
import { CODECS, codecOptions, why } from './support/greeter.js';

const ZOE = 'Zoë €';

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `unary calls between go-micro v5 and nest-micro on Consul ${why(goAvailability.reason, consulAvailability.reason)}`,
  () => {
    const peers = consulPeers({ caller: 'node.caller' });
    const { goCall } = peers;
    /** The Node client's call; a failure resolves to the MicroError. */
    const nodeCall = async (
      endpoint: string,
      data: unknown,
      options: Parameters<MicroClient['call']>[3] = {},
      service = 'go.greeter',
    ): Promise<unknown> => peers.client.call(service, endpoint, data, options).catch((e: unknown) => e);

    describe.each(CODECS)('%s', (ct) => {
      const ctArgs = ['--content-type', ct];

      it('Greeter.Hello: Go client → Node service', async () => {
        const reply = await goCall('node.greeter', 'Greeter.Hello', [
          '--body',
          JSON.stringify({ name: ZOE }),
          ...ctArgs,
        ]);
        expect(reply).toMatchObject({ ok: true, body: { msg: `Hello ${ZOE}` } });
      });

      it('Greeter.Hello: Node client → Go service', async () => {
        const reply = await nodeCall('Greeter.Hello', { name: ZOE }, codecOptions(ct, 'Response'));
        expect(reply).toEqual({ msg: `Hello ${ZOE}` });
      });

      it('Greeter.Void answers an empty message: Go client → Node service', async () => {
        const reply = await goCall('node.greeter', 'Greeter.Void', ctArgs);
        expect(reply.ok).toBe(true);
        expect(reply.body).toEqual({}); // a go-micro server's void reply: `{}`, even in json-rpc's result
      });

      it('Greeter.Void answers an empty message: Node client → Go service', async () => {
        expect(await nodeCall('Greeter.Void', {}, codecOptions(ct, 'Empty'))).toEqual({});
      });

      it('Greeter.Fail: a 409 with a UTF-8 detail reaches the Go client as errors.Error', async () => {
        const reply = await goCall('node.greeter', 'Greeter.Fail', [
          '--body',
          JSON.stringify({ name: ZOE }),
          ...ctArgs,
        ]);
        expect(reply).toMatchObject({
          ok: false,
          error: {
            id: 'node.greeter.fail',
            code: 409,
            detail: `refusé: 5 € for ${ZOE}`,
            status: 'Conflict',
          },
        });
      });

      it('Greeter.Fail: a 409 with a UTF-8 detail reaches the Node client as a MicroError', async () => {
        const error = await nodeCall('Greeter.Fail', { name: ZOE }, codecOptions(ct, 'Response'));
        expect(error).toBeInstanceOf(MicroError);
        expect(error).toMatchObject({
          id: 'go.greeter.fail',
          code: 409,
          detail: `refusé: 5 € for ${ZOE}`,
          status: 'Conflict',
        });
      });
    });

    describe('a JSON field the proto lacks', () => {
      it('Go client → Node service: ignored, as a handler without validation takes any JSON', async () => {
        const reply = await goCall('node.greeter', 'Greeter.Hello', ['--body', '{"name":"Ann","extra":1}']);
        expect(reply).toMatchObject({ ok: true, body: { msg: 'Hello Ann' } });
      });

      it('Node client → Go service: go-micro refuses it in application/json (protojson) with a bare-text 500, json-rpc ignores it', async () => {
        // codec/json/json.go:33: protojson.Unmarshal without DiscardUnknown; the error text becomes
        // Micro-Error as it is (server/rpc_server.go serveReq), so the Node client reads a 500
        const error = await nodeCall('Greeter.Hello', { name: 'Ann', extra: 1 });
        expect(error).toBeInstanceOf(MicroError);
        expect(error).toMatchObject({
          id: 'go.greeter',
          code: 500,
          detail: expect.stringContaining('unknown field "extra"'),
        });
        const reply = await nodeCall(
          'Greeter.Hello',
          { name: 'Ann', extra: 1 },
          { contentType: 'application/json-rpc' },
        );
        expect(reply).toEqual({ msg: 'Hello Ann' });
      });
    });

    describe('metadata', () => {
      const metadata = {
        'X-Trace-Id': 'trace-1',
        traceparent: '00-4bf92f3577b34da6-00f067aa0ba902b7-01',
        'X-User': ZOE,
      };

      it.each(['application/json', 'application/protobuf'])(
        "Go client → Node service (%s): keys arrive lower-cased (nest-micro's metadata is case-insensitive), values intact",
        async (ct) => {
          const args = Object.entries(metadata).flatMap(([k, v]) => ['--metadata', `${k}=${v}`]);
          const reply = await goCall('node.greeter', 'Greeter.Metadata', [...args, '--content-type', ct]);
          expect(reply.ok).toBe(true);
          expect(reply.body.metadata).toMatchObject({
            'x-trace-id': 'trace-1',
            traceparent: metadata.traceparent,
            'x-user': ZOE,
          });
        },
      );

      it.each(['application/json', 'application/protobuf'] as const)(
        "Node client → Go service (%s): keys in Go's canonical form, values intact, go-micro's routing headers set",
        async (ct) => {
          const reply = (await nodeCall(
            'Greeter.Metadata',
            {},
            {
              ...codecOptions(ct, 'MetaResponse'),
              metadata,
            },
          )) as { metadata: Record<string, string> };
          expect(reply.metadata).toMatchObject({
            'X-Trace-Id': 'trace-1',
            Traceparent: metadata.traceparent,
            'X-User': ZOE,
            'Content-Type': ct,
            Accept: ct,
            'Micro-Service': 'go.greeter',
            'Micro-Endpoint': 'Greeter.Metadata',
            'Micro-Method': 'Greeter.Metadata',
            'Micro-Id': expect.any(String),
            Timeout: expect.stringMatching(/^\d+$/),
          });
        },
      );

      it('Node client → Go service: metadata named like HTTP headers (Upgrade, Expect) is left out, the call goes through', async () => {
        // go-micro's own client sends them as they are; with Expect it then fails itself ("100 Continue")
        const reply = (await nodeCall(
          'Greeter.Metadata',
          {},
          {
            metadata: { Upgrade: 'websocket', Expect: '100-continue', 'X-Trace-Id': 'trace-2' },
          },
        )) as { metadata: Record<string, string> };
        expect(reply.metadata).toMatchObject({ 'X-Trace-Id': 'trace-2' });
        expect(reply.metadata.Upgrade).toBeUndefined();
        expect(reply.metadata.Expect).toBeUndefined();
      });
    });

    describe('errors', () => {
      it('a Node handler throwing a plain Error: the Go client gets a 500 with its message', async () => {
        const reply = await goCall('node.greeter', 'Greeter.Throw', [
          '--body',
          JSON.stringify({ name: ZOE }),
        ]);
        expect(reply).toMatchObject({
          ok: false,
          error: {
            id: 'node.greeter',
            code: 500,
            detail: `plain failure: 5 € for ${ZOE}`,
            status: 'Internal Server Error',
          },
        });
      });

      it('a Node handler throwing a plain Error: the Node client gets a MicroError 500', async () => {
        const error = await nodeCall('Greeter.Throw', { name: ZOE }, {}, 'node.greeter');
        expect(error).toBeInstanceOf(MicroError);
        expect(error).toMatchObject({ code: 500, detail: `plain failure: 5 € for ${ZOE}` });
      });

      it('unknown service: the Node client gets a 404 MicroError', async () => {
        const error = await nodeCall('Greeter.Hello', {}, {}, 'interop.nobody');
        expect(error).toBeInstanceOf(MicroError);
        expect(error).toMatchObject({ id: 'go.micro.client', code: 404 });
      });

      it('unknown service: go-micro\'s client answers 500 "service X: not found" (its own choice)', async () => {
        const reply = await goCall('interop.nobody', 'Greeter.Hello');
        expect(reply).toMatchObject({
          ok: false,
          error: { id: 'go.micro.client', code: 500, detail: 'service interop.nobody: not found' },
        });
      });

      it('unknown endpoint on the Node service: the Go client gets a 404', async () => {
        const reply = await goCall('node.greeter', 'Greeter.Nope');
        expect(reply).toMatchObject({
          ok: false,
          error: { id: 'node.greeter', code: 404, status: 'Not Found' },
        });
      });

      it('unknown endpoint on the Go service: go-micro answers a bare-text error, a 500 MicroError on the Node client', async () => {
        // server/rpc_router.go readHeader: errors.New("rpc: can't find method …"), written by
        // server/rpc_server.go serveReq as the Micro-Error text, not an errors.Error JSON.
        for (const endpoint of ['Greeter.Nope', 'Nope.Hello']) {
          const error = await nodeCall(endpoint, {});
          expect(error).toBeInstanceOf(MicroError);
          expect(error).toMatchObject({
            id: 'go.greeter',
            code: 500,
            detail: expect.stringMatching(/^rpc: can't find (method Nope|service Nope)$/),
          });
        }
        // go-micro's own client cannot even read a code from it
        const reply = await goCall('go.greeter', 'Greeter.Nope');
        expect(reply).toMatchObject({
          ok: false,
          raw: "rpc: can't find method Nope",
          error: { code: 0, detail: "rpc: can't find method Nope" },
        });
      });
    });

    describe('deadlines', () => {
      it('Node client → Go service: the handler sees about the call timeout (Timeout header)', async () => {
        const reply = (await nodeCall('Greeter.Deadline', {}, { timeout: 2_000 })) as { remainingMs: number };
        expect(reply.remainingMs).toBeGreaterThan(0);
        expect(reply.remainingMs).toBeLessThanOrEqual(2_000);
      });

      it("Go client → Node service: the handler sees go-micro's connection timeout (--conn-timeout), not --timeout", async () => {
        const short = await goCall('node.greeter', 'Greeter.Deadline', ['--conn-timeout', '2s']);
        expect(short.ok).toBe(true);
        expect(short.body.remainingMs).toBeGreaterThan(0);
        expect(short.body.remainingMs).toBeLessThanOrEqual(2_000);
        // client/rpc_client.go call(): Timeout = ConnectionTimeout (5 s default), whatever the request timeout
        const requestTimeoutOnly = await goCall('node.greeter', 'Greeter.Deadline', ['--timeout', '2s']);
        expect(requestTimeoutOnly.body.remainingMs).toBeGreaterThan(2_000);
        expect(requestTimeoutOnly.body.remainingMs).toBeLessThanOrEqual(5_000);
      });

      it('Node client → Go service: a handler slower than the timeout is a 408 MicroError', async () => {
        const error = await nodeCall('Greeter.Sleep', { count: 3_000 }, { timeout: 500, retries: 0 });
        expect(error).toBeInstanceOf(MicroError);
        expect(error).toMatchObject({ code: 408 });
      });

      it('Go client → Node service: a handler slower than the deadline is a 408', async () => {
        const reply = await goCall('node.greeter', 'Greeter.Sleep', [
          '--body',
          '{"count":3000}',
          '--conn-timeout',
          '500ms',
          '--retries',
          '0',
        ]);
        expect(reply).toMatchObject({ ok: false, error: { code: 408 } });
      });
    });

    describe('a Go → Node → Go chain (Greeter.Relay calls go.greeter from inside the call)', () => {
      it("carries the Go caller's metadata to the last hop, and the remaining budget", async () => {
        const reply = await goCall('node.greeter', 'Greeter.Relay', [
          '--metadata',
          'X-Trace-Id=chain-1',
          '--metadata',
          'traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          '--metadata',
          `X-User=${ZOE}`,
          '--conn-timeout',
          '3s',
        ]);
        expect(reply.ok).toBe(true);
        const seen = reply.body.metadata as Record<string, string>;
        expect(seen).toMatchObject({
          'X-Trace-Id': 'chain-1',
          Traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          'X-User': ZOE,
          'Micro-Service': 'go.greeter',
          'Micro-Endpoint': 'Greeter.Metadata',
        });
        // the first hop's transport headers stay behind
        expect(seen['User-Agent']).toBeUndefined();
        const budgetMs = Number(seen.Timeout) / 1e6;
        expect(budgetMs).toBeGreaterThan(0);
        expect(budgetMs).toBeLessThanOrEqual(3_000);
      });

      it('Node client → Node → Go: the same through the framed TCP hop', async () => {
        const reply = (await nodeCall(
          'Greeter.Relay',
          {},
          { metadata: { 'X-Trace-Id': 'chain-2' }, timeout: 2_000 },
          'node.greeter',
        )) as { metadata: Record<string, string> };
        expect(reply.metadata).toMatchObject({ 'X-Trace-Id': 'chain-2' });
        expect(Number(reply.metadata.Timeout) / 1e6).toBeLessThanOrEqual(2_000);
      });
    });
  },
);
