// go-micro's Debug.Stats across languages, on one Consul at 127.0.0.1: a Go client (`v5peer call`)
// asks a Node service (node.greeter, fixtures/node-greeter.ts) and gets go-micro's field names with
// the calls it answered counted; the Node client and `nest-micro stats` ask a Go service (`v5peer
// serve --debug-handler`, go-micro's own debug handler) and read its protojson reply (uint64 as
// strings, zeros left out).
import { describe, expect, it } from 'vitest';
import { readStats } from '../../lib/core/metrics/index.js';
import { consulAvailability } from '../support/consul.js';
import { runCli } from '../integration/cli/cli.helpers.js';
import { consulPeers } from './support/consul-peers.js';
import { goAvailability } from './support/go-peer.js';
import { why } from './support/greeter.js';

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `Debug.Stats between go-micro v5 and nest-micro on Consul ${why(goAvailability.reason, consulAvailability.reason)}`,
  () => {
    const peers = consulPeers({ goArgs: ['--debug-handler'], caller: 'node.stats' });
    const goCall = (service: string, endpoint: string, body = '{}') =>
      peers.goCall(service, endpoint, ['--body', body]);

    it('Go client → Node service: go-micro field names, the calls answered counted', async () => {
      expect(await goCall('node.greeter', 'Greeter.Hello', '{"name":"Ann"}')).toMatchObject({ ok: true });
      expect(await goCall('node.greeter', 'Greeter.Fail', '{"name":"Ann"}')).toMatchObject({ ok: false });
      const reply = await goCall('node.greeter', 'Debug.Stats');
      expect(reply.ok).toBe(true);
      const stats = reply.body as Record<string, number>;
      // go-micro's fields, plus the two optional ones nest-micro adds (Go peers ignore them)
      expect(Object.keys(stats).toSorted()).toEqual(
        [
          'errors',
          'gc',
          'memory',
          'requests',
          'started',
          'threads',
          'timestamp',
          'uptime',
          'latency',
          'chaos',
        ].toSorted(),
      );
      expect(stats.requests).toBeGreaterThanOrEqual(2);
      expect(stats.errors).toBeGreaterThanOrEqual(1);
      expect(stats.memory).toBeGreaterThan(0);
      expect(stats.threads).toBeGreaterThan(0);
      expect(stats.started).toBeLessThanOrEqual(stats.timestamp!);
    });

    it("Node client → Go service: go-micro's debug handler's reply, read with readStats", async () => {
      const stats = readStats(await peers.client.call('go.greeter', 'Debug.Stats', {}));
      expect(stats.started).toBeGreaterThan(1_600_000_000);
      expect(stats.memory).toBeGreaterThan(0);
      expect(stats.threads).toBeGreaterThan(0);
      expect(stats.timestamp).toBeGreaterThanOrEqual(stats.started);
    });

    it('nest-micro stats prints both services: the Go one over its http transport', async () => {
      const go = await runCli(['stats', 'go.greeter', '--json'], peers.env);
      expect(go.code, go.stderr).toBe(0);
      const [goNode] = JSON.parse(go.stdout) as Array<Record<string, unknown>>;
      expect(goNode).toMatchObject({ version: 'latest' });
      expect(goNode!.memory).toBeGreaterThan(0);
      const node = await runCli(['stats', 'node.greeter'], peers.env);
      expect(node.code, node.stderr).toBe(0);
      expect(node.stdout).toMatch(/REQUESTS\s+ERRORS/);
    });
  },
);
