// The `nest-micro` command line with MICRO_REGISTRY=consul against the sample greeter registered in
// a throwaway `consul agent -dev` on loopback: services, describe, call, watch, unknown service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consulAvailability, startConsul, type ConsulAgent } from '../../support/consul.js';
import { waitFor } from '../../support/processes.js';
import { isOneLineError, runCli, startCli, startSample, type Sample } from './cli.helpers.js';

describe.skipIf(consulAvailability.skip)(`nest-micro CLI on Consul ${consulAvailability.reason}`, () => {
  let agent: ConsulAgent;
  let env: NodeJS.ProcessEnv;
  let sample: Sample;

  beforeAll(async () => {
    agent = await startConsul();
    env = { MICRO_REGISTRY: 'consul', MICRO_REGISTRY_ADDRESS: agent.address };
    sample = await startSample(env);
  });

  afterAll(async () => {
    await sample?.proc.stop();
    await agent?.close();
  });

  it('services, describe --json and call find the greeter through Consul', async () => {
    const services = await runCli(['services', '--json'], env);
    expect(services.code).toBe(0);
    expect(JSON.parse(services.stdout)).toContainEqual({ name: 'greeter', version: 'latest', nodes: 1 });

    const described = await runCli(['describe', 'greeter', '--json'], env);
    expect(described.code).toBe(0);
    const [service] = JSON.parse(described.stdout) as Array<{
      nodes: Array<{ address: string; metadata: Record<string, string> }>;
      endpoints: Array<{ name: string }>;
    }>;
    expect(service!.nodes.map((n) => n.address)).toEqual([sample.address]);
    expect(service!.nodes[0]!.metadata.registry).toBe('consul');
    expect(service!.endpoints.map((e) => e.name)).toContain('Greeter.Hello');

    const call = await runCli(['call', 'greeter', 'Greeter.Hello', '{"name":"Consul"}'], env);
    expect(call.code).toBe(0);
    expect(JSON.parse(call.stdout)).toEqual({ msg: 'Hello Consul' });
  });

  it('stats asks every node for Debug.Stats: the calls it answered, uptime, memory', async () => {
    const call = await runCli(['call', 'greeter', 'Greeter.Hello', '{"name":"Stats"}'], env);
    expect(call.code).toBe(0);
    const r = await runCli(['stats', 'greeter', '--json'], env);
    expect(r.code).toBe(0);
    const [node] = JSON.parse(r.stdout) as Array<Record<string, number | string>>;
    expect(node).toMatchObject({ address: sample.address, version: 'latest', errors: 0 });
    expect(node!.requests).toBeGreaterThanOrEqual(1);
    expect(node!.memory).toBeGreaterThan(0);
    expect(node!.started).toBeLessThanOrEqual(node!.timestamp as number);
    const table = await runCli(['stats', 'greeter'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/NODE\s+ADDRESS\s+UPTIME\s+MEMORY\s+THREADS\s+GC\s+REQUESTS\s+ERRORS/);
    expect(table.stdout).toContain(sample.address);
  });

  it('the flags choose Consul over an mDNS environment', async () => {
    const r = await runCli(
      ['--registry', 'consul', '--registry-address', agent.address, 'services', '--json'],
      {
        MICRO_REGISTRY: 'mdns',
        MICRO_REGISTRY_ADDRESS: '127.0.0.1',
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toContainEqual({ name: 'greeter', version: 'latest', nodes: 1 });
  });

  it('an unknown service is a one-line 404 naming the registry (exit 1)', async () => {
    const r = await runCli(['describe', 'nope'], env);
    expect(r.code).toBe(1);
    expect(isOneLineError(r.stderr)).toBe(true);
    expect(r.stderr).toContain('service nope: not found in the consul registry');
  });

  it('an unreachable Consul is a one-line error, not a hang or a stack trace (exit 1)', async () => {
    const r = await runCli(['services'], { MICRO_REGISTRY: 'consul', MICRO_REGISTRY_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(isOneLineError(r.stderr)).toBe(true);
  });

  // Consul's watch diffs snapshots: a node joining an existing version is an `update` listing every node.
  it('watch: a second greeter coming and going is seen as update and delete', async () => {
    const watch = startCli(['watch', '--service', 'greeter'], env);
    try {
      await waitFor(() => watch.output().includes('watching the consul registry'), 20_000, 'watch');
      const second = await startSample(env);
      const seen = (action: string): boolean =>
        watch
          .output()
          .split('\n')
          .some((l) => l.includes(`"action":"${action}"`) && l.includes(second.address));
      await waitFor(() => seen('update'), 20_000, 'update event');
      await second.proc.stop();
      await waitFor(() => seen('delete'), 20_000, 'delete event');
      await watch.stop('SIGTERM');
      expect(watch.child.exitCode).toBe(0);
    } finally {
      await watch.stop();
    }
  });

  it('publish: a subscriber that is registered but gone is reported, not silently dropped (exit 1)', async () => {
    const sub = startCli(['subscribe', 'cli.gone'], env);
    await waitFor(() => sub.output().includes('subscribed to cli.gone'), 20_000, 'subscribe');
    await sub.stop('SIGKILL'); // its registration stays in Consul until the TTL lapses
    const r = await runCli(['publish', 'cli.gone', '{"n":1}'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^nest-micro: error 503 .*cli\.gone: 1 subscriber\(s\) did not accept the message/m,
    );
  });
});
