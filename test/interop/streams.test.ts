// Streams between go-micro v5.30.0 and nest-micro, both ways, over Consul on 127.0.0.1 and go-micro's
// HTTP stream framing: server streams, bidi, client streaming, the end of a stream and an error in
// the middle of one, deadlines. Go side: one `v5peer serve` (go.greeter) and `v5peer stream` clients.
// Node side: one fixtures/node-greeter.ts process (node.greeter), an in-process Nest client
// (MicroClient.stream) and an in-process probe service (node.probe) whose handlers report how their
// streams ended, so the Node side's clean-up is checked where a Go client leaves abruptly.
//
// go-micro v5.30.0 limits what some cells can show; those tests assert go-micro's actual behaviour:
//   - its server streams alias one write buffer (server/rpc_codec.go:333) that a writer goroutine
//     sends later (internal/util/socket/socket.go:69): back-to-back messages go out corrupted. The Go
//     peer works around it for json and protobuf only; json-rpc and proto-rpc streams from go-micro
//     lose or garble messages (go-micro's own client too);
//   - its client cannot half-close (client/rpc_stream.go:147 CloseSend: "streamer not implemented");
//     Close() sends EOS and shuts the connection (rpc_stream.go:151-187), so a client stream's reply
//     (Greeter.Collect) is never read by a Go client;
//   - its handlers end silently after reading the client's EOS (server/rpc_router.go:282), so a
//     nest-micro client completes such a stream `endGrace` ms after its own end;
//   - its client has no deadline of its own on a stream: WithStreamTimeout is only sent as the
//     Timeout header (client/rpc_client.go:252) for the server to enforce.
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { concat, from, NEVER, Observable, of, type Observable as Obs } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../lib/core/registry/index.js';
import {
  Handler,
  MicroClient,
  MicroError,
  MicroModule,
  MicroServer,
  type StreamCallOptions,
  type StreamSource,
} from '../../lib/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { consulAvailability } from '../support/consul.js';
import { waitFor } from '../support/processes.js';
import { consulPeers } from './support/consul-peers.js';
import { goAvailability, runGoPeer, type GoLine } from './support/go-peer.js';
import { CODECS, codecOptions } from './support/greeter.js';
import { startService } from '../support/apps.js';

/** The codecs in which go-micro's server streams deliver what the handler sent (see the header). */
const INTACT = ['application/json', 'application/protobuf'] as const;
const RPC = ['application/json-rpc', 'application/proto-rpc'] as const;
const BROKE = { code: 500, detail: 'stream broke: 5 €', status: 'Internal Server Error' };

/** What a `v5peer stream` received, and its end line. */
const received = (lines: GoLine[]): unknown[] =>
  lines.filter((l) => l.event === 'recv').map((l) => l.body as unknown);
const end = (lines: GoLine[]): GoLine => lines.find((l) => l.event === 'end')!;

/** How the probe's streams ended, as its handlers saw it. */
const probe: string[] = [];
type Options = Partial<StreamCallOptions>;

/** node.probe: stream handlers that log how their input ended and when their output was released. */
@Controller()
class ProbeController {
  /** Client streaming, as Greeter.Collect. */
  @Handler('Probe.Collect', { stream: true })
  collect(@Payload() requests: Obs<{ name?: string }>): Obs<{ msg: string }> {
    return new Observable((sub) => {
      const names: string[] = [];
      const input = requests.subscribe({
        next: (r) => names.push(r.name ?? ''),
        error: (e: MicroError) => (probe.push(`collect input error ${e.code}`), sub.error(e)),
        complete: () => {
          probe.push('collect input complete');
          sub.next({ msg: names.join(',') });
          sub.complete();
        },
      });
      return () => (probe.push('collect released'), input.unsubscribe());
    });
  }

  /** Answers every request and never ends its side. */
  @Handler('Probe.Forever', { stream: true })
  forever(@Payload() requests: Obs<{ name?: string }>): Obs<{ msg: string }> {
    return new Observable((sub) => {
      const input = requests.subscribe({
        next: (r) => sub.next({ msg: `Hello ${r.name ?? ''}` }),
        error: (e: MicroError) => probe.push(`forever input error ${e.code}`),
        complete: () => probe.push('forever input complete'),
      });
      return () => (probe.push('forever released'), input.unsubscribe());
    });
  }
}

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `streams between go-micro v5 and nest-micro ${[goAvailability.reason, consulAvailability.reason].filter(Boolean).join('; ')}`,
  () => {
    const peers = consulPeers();
    let app: INestMicroservice | undefined;
    let client: MicroClient;

    /** Streams the node probe has open (the server's count of in-flight calls and streams). */
    const probeInflight = (): number => (app!.get(MicroServer) as unknown as { inflight: number }).inflight;

    /** `v5peer stream` → its JSON lines; the last is {"event":"end",…}. */
    const goStream = (service: string, endpoint: string, args: string[]): Promise<GoLine[]> =>
      runGoPeer(
        ['stream', '--service', service, '--endpoint', endpoint, '--timeout', '8s', ...args],
        peers.env,
        {
          timeoutMs: 15_000,
        },
      );

    /** The Node client's stream to `service`, run to its end: the replies and how it ended. */
    const nodeStream = (
      service: string,
      endpoint: string,
      requests: StreamSource,
      options: Options,
    ): Promise<{ replies: unknown[]; error?: unknown; ms: number }> => {
      const started = Date.now();
      const replies: unknown[] = [];
      return new Promise((resolve) => {
        client.stream(service, endpoint, requests, options).subscribe({
          next: (reply) => replies.push(reply),
          error: (error: unknown) => resolve({ replies, error, ms: Date.now() - started }),
          complete: () => resolve({ replies, ms: Date.now() - started }),
        });
      });
    };

    // the probe service, once the fixture's Consul and greeters are up
    beforeAll(async () => {
      @Module({
        imports: [
          MicroModule.forRoot({
            name: 'node.probe',
            address: '127.0.0.1:0',
            registry: createRegistry('consul', peers.consul.address),
            broker: new MemoryBroker(),
            env: false,
            propagationDelay: 0,
          }),
          MicroModule.registerClients([{ name: 'CLIENT', service: 'go.greeter' }]),
        ],
        controllers: [ProbeController],
      })
      class ProbeModule {}
      app = await startService(ProbeModule);
      client = app.get<MicroClient>('CLIENT');
    });

    afterAll(async () => {
      await app?.close();
    });

    describe('Go client (v5peer stream) → Node service', () => {
      describe.each(CODECS)('%s', (ct) => {
        const ctArgs = ['--content-type', ct];

        it('Greeter.ServerStream: the replies in order, then the end (io.EOF)', async () => {
          const lines = await goStream('node.greeter', 'Greeter.ServerStream', [
            '--send',
            '{"name":"Ann","count":3}',
            ...ctArgs,
          ]);
          expect(received(lines)).toEqual([1, 2, 3].map((i) => ({ msg: `Hello Ann #${i}` })));
          expect(end(lines)).toMatchObject({ ok: true, reason: 'eof', received: 3 });
        });

        it('Greeter.ServerStream "fail": two replies, then the 500 as an errors.Error, UTF-8 intact', async () => {
          const lines = await goStream('node.greeter', 'Greeter.ServerStream', [
            '--send',
            '{"name":"fail"}',
            ...ctArgs,
          ]);
          expect(received(lines)).toEqual([{ msg: 'Hello fail #1' }, { msg: 'Hello fail #2' }]);
          expect(end(lines)).toMatchObject({
            ok: false,
            stage: 'recv',
            error: { id: 'node.greeter.stream', ...BROKE },
          });
        });

        it('Greeter.Bidi: a reply per message; the Go client reads its n replies, then Close()s', async () => {
          const lines = await goStream('node.greeter', 'Greeter.Bidi', [
            '--send',
            '{"name":"a"}',
            '--send',
            '{"name":"b"}',
            '--send',
            '{"name":"€"}',
            '--recv',
            '3',
            ...ctArgs,
          ]);
          expect(received(lines)).toEqual([{ msg: 'Hello a' }, { msg: 'Hello b' }, { msg: 'Hello €' }]);
          expect(end(lines)).toMatchObject({ ok: true, reason: 'count', received: 3 });
        });
      });

      it('Greeter.Collect (go-micro cannot half-close): Close() sends EOS and shuts the stream, so Recv fails with "connection is shut down"; the Node handler still saw the end and released the stream', async () => {
        const send = ['--send', '{"name":"a"}', '--send', '{"name":"b"}', '--close-after-send'];
        for (const lines of await Promise.all(
          CODECS.map((ct) => goStream('node.greeter', 'Greeter.Collect', [...send, '--content-type', ct])),
        )) {
          expect(lines.filter((l) => l.event === 'sent')).toHaveLength(2);
          expect(lines).toContainEqual({ event: 'closed', ok: true });
          // not a go-micro errors.Error: a bare Go error (errors.FromError leaves code 0, id "")
          expect(end(lines)).toMatchObject({
            ok: false,
            stage: 'recv',
            received: 0,
            raw: 'connection is shut down',
            error: { code: 0, id: '' },
          });
        }
        probe.length = 0;
        const lines = await goStream('node.probe', 'Probe.Collect', send);
        expect(end(lines)).toMatchObject({ raw: 'connection is shut down' });
        await waitFor(
          () => probe.includes('collect released') && probeInflight() === 0,
          5_000,
          'the release',
        );
        expect(probe).toEqual(['collect input complete', 'collect released']);
      });

      it("a Node handler that never ends: go-micro's WithStreamTimeout (the Timeout header) ends it with a 408 errors.Error", async () => {
        const lines = await goStream('node.greeter', 'Greeter.Bidi', [
          '--send',
          '{"name":"a"}',
          '--stream-timeout',
          '1s',
        ]);
        expect(received(lines)).toEqual([{ msg: 'Hello a' }]);
        expect(end(lines)).toMatchObject({
          ok: false,
          stage: 'recv',
          error: { code: 408, id: 'node.greeter', status: 'Request Timeout' },
        });
        expect(end(lines).timeout).toBeUndefined(); // the server's 408, not the peer giving up

        probe.length = 0;
        const probed = await goStream('node.probe', 'Probe.Forever', [
          '--send',
          '{"name":"a"}',
          '--stream-timeout',
          '1s',
        ]);
        expect(end(probed)).toMatchObject({ ok: false, error: { code: 408, id: 'node.probe' } });
        await waitFor(() => probeInflight() === 0, 5_000, 'the release');
        expect(probe).toEqual(['forever released']);
      });

      it('without a stream timeout a go-micro client waits as long as the handler runs; when the Go process gives up and exits, the Node side releases the stream', async () => {
        probe.length = 0;
        const lines = await runGoPeer(
          [
            'stream',
            '--service',
            'node.probe',
            '--endpoint',
            'Probe.Forever',
            '--send',
            '{"name":"a"}',
          ].concat(['--timeout', '1s']),
          peers.env,
        );
        expect(received(lines)).toEqual([{ msg: 'Hello a' }]);
        expect(end(lines)).toMatchObject({ ok: false, timeout: true }); // the peer's own --timeout (exit 3)
        await waitFor(
          () => probe.includes('forever released') && probeInflight() === 0,
          5_000,
          'the release',
        );
        // the output is released first (its teardown unsubscribes the input): never a clean end
        expect(probe).toEqual(['forever released']);
      });

      it('the Node greeter process survived every stream above and still serves', async () => {
        const [reply] = await runGoPeer(
          ['call', '--service', 'node.greeter', '--endpoint', 'Greeter.Hello', '--body', '{"name":"Zoë"}'],
          peers.env,
        );
        expect(reply).toMatchObject({ ok: true, body: { msg: 'Hello Zoë' } });
        expect(peers.nodeGreeter.lines().filter((l) => l.event === 'ready')).toHaveLength(1);
      });
    });

    describe('Node client (MicroClient.stream) → Go service', () => {
      describe.each(INTACT)('%s', (ct) => {
        it('Greeter.ServerStream: the replies in order, then completes', async () => {
          const { replies, error } = await nodeStream(
            'go.greeter',
            'Greeter.ServerStream',
            of({ name: 'Ann', count: 3 }),
            codecOptions(ct),
          );
          expect(error).toBeUndefined();
          expect(replies).toEqual([1, 2, 3].map((i) => ({ msg: `Hello Ann #${i}` })));
        });

        it('Greeter.ServerStream "fail": two replies, then a MicroError 500 with its UTF-8 detail', async () => {
          const { replies, error } = await nodeStream(
            'go.greeter',
            'Greeter.ServerStream',
            of({ name: 'fail' }),
            codecOptions(ct),
          );
          expect(replies).toEqual([{ msg: 'Hello fail #1' }, { msg: 'Hello fail #2' }]);
          expect(error).toBeInstanceOf(MicroError);
          expect((error as MicroError).toJSON()).toEqual({ id: 'go.greeter.stream', ...BROKE });
        });

        it("Greeter.Bidi: every reply, then completes after endGrace (go-micro's handler ends silently after our EOS)", async () => {
          const names = ['a', 'b', 'Zoë'];
          const { replies, error } = await nodeStream(
            'go.greeter',
            'Greeter.Bidi',
            from(names.map((name) => ({ name }))),
            codecOptions(ct),
          );
          expect(error).toBeUndefined();
          expect(replies).toEqual(names.map((n) => ({ msg: `Hello ${n}` })));
        });

        it('Greeter.Collect: the one reply go-micro sends after our EOS', async () => {
          const { replies, error } = await nodeStream(
            'go.greeter',
            'Greeter.Collect',
            from([{ name: 'a' }, { name: 'b' }, { name: 'ç' }]),
            { ...codecOptions(ct), endGrace: 300 },
          );
          expect(error).toBeUndefined();
          expect(replies).toEqual([{ msg: 'a,b,ç' }]);
        });
      });

      describe.each(RPC)('%s', (ct) => {
        it('Greeter.Collect: the one reply go-micro sends after our EOS', async () => {
          const { replies, error } = await nodeStream(
            'go.greeter',
            'Greeter.Collect',
            from([{ name: 'a' }, { name: 'b' }]),
            { ...codecOptions(ct), endGrace: 300 },
          );
          expect(error).toBeUndefined();
          expect(replies).toEqual([{ msg: 'a,b' }]);
        });

        it("Greeter.ServerStream and Greeter.Bidi (go-micro's server garbles back-to-back messages in this codec): each stream still settles, its replies are greetings and its failure a MicroError", async () => {
          const options = { ...codecOptions(ct), endGrace: 300, timeout: 5_000 };
          const outcomes = await Promise.all([
            nodeStream('go.greeter', 'Greeter.ServerStream', of({ name: 'Ann', count: 3 }), options),
            nodeStream('go.greeter', 'Greeter.ServerStream', of({ name: 'fail' }), options),
            nodeStream('go.greeter', 'Greeter.Bidi', from([{ name: 'a' }, { name: 'b' }]), options),
          ]);
          for (const { replies, error } of outcomes) {
            for (const reply of replies) expect(reply).toEqual({ msg: expect.stringMatching(/^Hello /) });
            if (error === undefined) continue;
            expect(error).toBeInstanceOf(MicroError);
            expect((error as MicroError).code).not.toBe(408); // settled by what arrived, not the deadline
          }
        });
      });

      it('a stream that cannot finish (the Go handler keeps reading, we never end) fails with a 408 MicroError at its timeout', async () => {
        const { replies, error, ms } = await nodeStream(
          'go.greeter',
          'Greeter.Bidi',
          concat(of({ name: 'a' }), NEVER),
          { timeout: 1_000 },
        );
        expect(replies).toEqual([{ msg: 'Hello a' }]);
        expect(error).toBeInstanceOf(MicroError);
        expect((error as MicroError).toJSON()).toMatchObject({ code: 408, id: 'go.micro.client' });
        expect(ms).toBeGreaterThanOrEqual(1_000);
        // and the Go server is unharmed: the next stream is served
        const next = await nodeStream('go.greeter', 'Greeter.ServerStream', of({ name: 'B', count: 1 }), {});
        expect(next.replies).toEqual([{ msg: 'Hello B #1' }]);
      });
    });
  },
);
