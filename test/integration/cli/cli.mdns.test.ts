// The `nest-micro` command line as a child process against the sample greeter found by mDNS on
// 127.0.0.1 (on a private mDNS port, so other suites' services never show up): every command's
// output and exit code, and the failure paths (bad JSON, unknown service, timeout, bad flags).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';
import { isOneLineError, runCli, silentServer, startCli, startSample, type Sample } from './cli.helpers.js';

describe('nest-micro CLI on mDNS (loopback)', () => {
  let env: NodeJS.ProcessEnv;
  let sample: Sample;

  beforeAll(async () => {
    env = { MICRO_REGISTRY: '', MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`, NO_COLOR: '' };
    sample = await startSample(env);
  });

  afterAll(async () => {
    await sample?.proc.stop();
  });

  it('services: a table of names, versions and node counts; --json', async () => {
    const table = await runCli(['services'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+VERSION\s+NODES$/m);
    expect(table.stdout).toMatch(/^greeter\s+latest\s+1$/m);
    expect(table.stdout).not.toContain('\u001b['); // no colours when stdout is not a TTY

    const json = await runCli(['services', '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toContainEqual({ name: 'greeter', version: 'latest', nodes: 1 });
  });

  it('describe: nodes, addresses, metadata and endpoints as a tree and as JSON', async () => {
    const tree = await runCli(['describe', 'greeter'], env);
    expect(tree.code).toBe(0);
    expect(tree.stdout).toContain('greeter version latest');
    expect(tree.stdout).toContain(sample.address);
    expect(tree.stdout).toMatch(/transport: tcp/);
    expect(tree.stdout).toMatch(/Greeter\.Hello\n.*request HelloRequest\n.*response HelloResponse/);

    const json = await runCli(['describe', 'greeter', '--json'], env);
    expect(json.code).toBe(0);
    const [service] = JSON.parse(json.stdout) as Array<{
      name: string;
      nodes: Array<{ address: string }>;
      endpoints: Array<{ name: string; response?: { type: string } }>;
    }>;
    expect(service!.name).toBe('greeter');
    expect(service!.nodes.map((n) => n.address)).toEqual([sample.address]);
    expect(service!.endpoints).toContainEqual(
      expect.objectContaining({
        name: 'Greeter.Hello',
        response: expect.objectContaining({ type: 'HelloResponse' }),
      }),
    );
  });

  it('call: prints the reply as JSON, found by discovery or at --address, with metadata and timeout flags', async () => {
    const found = await runCli(
      ['call', 'greeter', 'Greeter.Hello', '{"name":"John"}', '-m', 'x-user:bob'],
      env,
    );
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual({ msg: 'Hello John' });

    const direct = await runCli(
      ['call', 'greeter', 'Greeter.Hello', '{"name":"Ann"}', '--address', sample.address, '--timeout', '5s'],
      { ...env, MICRO_REGISTRY_ADDRESS: '127.0.0.1:1' }, // nothing to discover there
    );
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout)).toEqual({ msg: 'Hello Ann' });
  });

  it('call: a bad JSON argument is a one-line usage error (exit 2)', async () => {
    const r = await runCli(['call', 'greeter', 'Greeter.Hello', '{name:'], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(isOneLineError(r.stderr)).toBe(true);
    expect(r.stderr).toContain('not valid JSON');
  });

  it("call and describe: an unknown service is a 404 with the registry's hint (exit 1)", async () => {
    for (const args of [
      ['call', 'nope', 'Nope.Call', '{}'],
      ['describe', 'nope'],
    ]) {
      const r = await runCli(args, env);
      expect(r.code).toBe(1);
      expect(isOneLineError(r.stderr)).toBe(true);
      expect(r.stderr).toMatch(/error 404 Not Found .*service nope: not found/);
      expect(r.stderr).toContain('mDNS found no node of "nope" on interface 127.0.0.1');
    }
  });

  it('call: a node that never answers is a 408 after --timeout (exit 1)', async () => {
    const silent = await silentServer();
    try {
      const r = await runCli(
        ['call', 'greeter', 'Greeter.Hello', '{}', '--address', silent.address, '--timeout', '300ms'],
        env,
      );
      expect(r.code).toBe(1);
      expect(isOneLineError(r.stderr)).toBe(true);
      expect(r.stderr).toMatch(/error 408 Request Timeout \[go\.micro\.client\]: .*timed out/);
    } finally {
      await silent.close();
    }
  });

  it('bad flags and values are one-line usage errors (exit 2)', async () => {
    for (const args of [
      ['call', 'greeter', 'Greeter.Hello', '{}', '--timeout', 'soon'],
      ['call', 'greeter', 'Greeter.Hello', '{}', '-m', 'novalue'],
      ['call', 'greeter', 'Greeter.Hello', '{}', '--address', 'nowhere'],
      ['--registry', 'zookeeper', 'services'],
      ['call', 'greeter'],
      ['frobnicate'],
    ]) {
      const r = await runCli(args, env);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/^nest-micro: error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 90_000);

  it('an unknown registry named by the environment is one line (exit 1)', async () => {
    const r = await runCli(['services'], { ...env, MICRO_REGISTRY: 'zookeeper' });
    expect(r.code).toBe(1);
    expect(isOneLineError(r.stderr)).toBe(true);
    expect(r.stderr).toContain('unknown registry "zookeeper"');
  });

  it('flags win over the environment', async () => {
    const r = await runCli(['--registry-address', env.MICRO_REGISTRY_ADDRESS!, 'services', '--json'], {
      ...env,
      MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toContainEqual({ name: 'greeter', version: 'latest', nodes: 1 });
  });

  it('--help on the program and on every command (exit 0)', async () => {
    const top = await runCli(['--help'], env);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('MICRO_REGISTRY_ADDRESS');
    for (const command of ['services', 'describe', 'call', 'stream', 'publish', 'subscribe', 'watch']) {
      expect(top.stdout).toContain(command);
      const r = await runCli([command, '--help'], env);
      expect({ command, code: r.code }).toEqual({ command, code: 0 });
      expect(r.stdout).toContain(`Usage: nest-micro ${command}`);
    }
  }, 120_000); // eight child processes, each compiling the library from source

  it('publish and subscribe: a message with its metadata reaches the subscriber as a JSON line', async () => {
    const sub = startCli(['subscribe', 'cli.test', '--queue', 'q1', '--count', '1'], env);
    try {
      await waitFor(() => sub.output().includes('subscribed to cli.test (queue q1)'), 20_000, 'subscribe');
      const pub = await runCli(['publish', 'cli.test', '{"name":"Ann"}', '-m', 'x-trace:t1'], env);
      expect(pub.code).toBe(0);
      await waitFor(() => sub.child.exitCode !== null, 20_000, 'subscriber exit after one message');
      expect(sub.child.exitCode).toBe(0);
      const line = sub
        .output()
        .split('\n')
        .find((l) => l.startsWith('{'))!;
      const message = JSON.parse(line) as { topic: string; header: Record<string, string>; body: unknown };
      expect(message.topic).toBe('cli.test');
      expect(message.body).toEqual({ name: 'Ann' });
      expect(message.header['x-trace']).toBe('t1');
    } finally {
      await sub.stop();
    }
  });

  it('publish: a bad JSON message is a usage error and nothing is sent', async () => {
    const r = await runCli(['publish', 'cli.test', 'not json'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not valid JSON');
  });

  it('watch: prints create and delete events as JSON lines and exits 0 on SIGTERM', async () => {
    const watch = startCli(['watch', '--service', 'greeter'], env);
    try {
      await waitFor(() => watch.output().includes('watching the mdns registry'), 20_000, 'watch');
      const second = await startSample(env);
      const id = (line: string): boolean => line.includes(second.address);
      await waitFor(
        () =>
          watch
            .output()
            .split('\n')
            .some((l) => l.includes('"create"') && id(l)),
        20_000,
        'create',
      );
      await second.proc.stop();
      await waitFor(
        () =>
          watch
            .output()
            .split('\n')
            .some((l) => l.includes('"delete"') && id(l)),
        20_000,
        'delete',
      );
      await watch.stop('SIGTERM');
      expect(watch.child.exitCode).toBe(0);
      const events = watch
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { action: string; service: string; nodes: Array<{ address: string }> });
      expect(events.every((e) => e.service === 'greeter')).toBe(true);
      expect(
        events.filter((e) => e.nodes.some((n) => n.address === second.address)).map((e) => e.action),
      ).toEqual(['create', 'delete']);
    } finally {
      await watch.stop();
    }
  });
});
