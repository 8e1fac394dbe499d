// One trace across go-micro v5.30.0 and nest-micro: a Go client (`v5peer call` with go-micro's
// OpenTelemetry wrapper and the Go OTel SDK, V5PEER_TRACE=1) calls the Node greeter (the
// OpenTelemetry Node SDK, INTEROP_TRACE=1), whose Greeter.Relay calls the traced Go greeter
// (`v5peer serve`). Every process prints its ended spans as JSON lines; the test joins them and
// checks one trace id and each parent link across the three processes, on one Consul at 127.0.0.1.
// And a Go publish (the wrapper's `Pub to` span) is the parent of the Node delivery's CONSUMER span
// (the context travels in the HTTP broker's message header).
import { describe, expect, it } from 'vitest';
import { consulAvailability } from '../support/consul.js';
import { consulPeers } from './support/consul-peers.js';
import { goAvailability, runGoPeer, type GoLine } from './support/go-peer.js';
import { why } from './support/greeter.js';

interface SpanLine extends GoLine {
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  status: string;
}

const spansOf = (lines: GoLine[]): SpanLine[] => lines.filter((l): l is SpanLine => l.event === 'span');

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `tracing across go-micro v5 (OpenTelemetry wrapper) and nest-micro ${why(goAvailability.reason, consulAvailability.reason)}`,
  () => {
    const peers = consulPeers({
      goEnv: { V5PEER_TRACE: '1' },
      nodeEnv: { INTEROP_TRACE: '1' },
      nodeReadyMs: 60_000,
      setupMs: 90_000,
    });

    it('a Go client → Node service → Go service chain is one trace with the right parent links', async () => {
      const lines = await runGoPeer(
        [
          'call',
          '--service',
          'node.greeter',
          '--endpoint',
          'Greeter.Relay',
          '--body',
          '{"name":"go.greeter"}',
        ],
        { ...peers.env, V5PEER_TRACE: '1' },
      );
      const reply = lines.find((l) => l.ok !== undefined);
      expect(reply).toMatchObject({ ok: true });

      // the Go client's CLIENT span (go-micro's wrapper: one span per call, named service.Endpoint)
      const [goClient] = spansOf(lines).filter((s) => s.kind === 'client');
      expect(goClient).toMatchObject({ name: 'node.greeter.Greeter.Relay', parentSpanId: '' });
      const traceId = goClient!.traceId;

      // the Node SERVER span is the Go client span's child; its call and attempt CLIENT spans follow
      const nodeSpan = (name: string, kind: string, parent?: string): Promise<GoLine> =>
        peers.nodeGreeter.waitForLine(
          (l) =>
            l.event === 'span' &&
            l.traceId === traceId &&
            l.name === name &&
            l.kind === kind &&
            (parent === undefined || l.parentSpanId === parent),
          20_000,
          `the Node ${kind} span ${name}`,
        );
      const nodeServer = await nodeSpan('node.greeter.Greeter.Relay', 'server');
      expect(nodeServer.parentSpanId).toBe(goClient!.spanId);
      const nodeCall = await nodeSpan('go.greeter.Greeter.Metadata', 'client', nodeServer.spanId);
      const nodeAttempt = await nodeSpan('go.greeter.Greeter.Metadata', 'client', nodeCall.spanId);
      expect(nodeAttempt.attributes).toMatchObject({ 'micro.attempt': 1, 'rpc.system.name': 'go-micro' });

      // the Go greeter's SERVER span (go-micro's handler wrapper) is the Node attempt span's child
      const goServer = await peers.goGreeter.waitForLine(
        (l) => l.event === 'span' && l.traceId === traceId && l.kind === 'server',
        20_000,
        'the Go greeter SERVER span',
      );
      expect(goServer).toMatchObject({
        name: 'go.greeter.Greeter.Metadata',
        parentSpanId: nodeAttempt.spanId,
        status: 'Unset',
      });
      // the handler's metadata holds the Go SERVER span's own context: go-micro's wrapper writes the
      // span it starts back into the ctx's metadata (for the handler's onward calls)
      expect(reply!.body.metadata.Traceparent).toBe(`00-${traceId}-${goServer.spanId}-01`);
    });

    it("a Go publish (the wrapper's Pub span) is the parent of the Node delivery's CONSUMER span", async () => {
      const lines = await runGoPeer(
        ['publish', '--topic', 'interop.broadcast', '--body', '{"name":"traced"}', '--linger', '1s'],
        { ...peers.env, V5PEER_TRACE: '1' },
      );
      expect(lines.find((l) => l.ok !== undefined)).toMatchObject({ ok: true });
      const publish = spansOf(lines).find((s) => s.name === 'Pub to interop.broadcast')!;
      expect(publish).toBeDefined();
      const delivery = await peers.nodeGreeter.waitForLine(
        (l) => l.event === 'span' && l.traceId === publish.traceId && l.kind === 'consumer',
        20_000,
        'the Node CONSUMER span of the delivery',
      );
      expect(delivery).toMatchObject({
        name: 'Sub from interop.broadcast',
        parentSpanId: publish.spanId,
        attributes: {
          'messaging.destination.name': 'interop.broadcast',
          'messaging.operation.type': 'process',
        },
      });
    });
  },
);
