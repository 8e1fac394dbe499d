// The `nest-micro` command line against the echo fixture (mDNS on loopback, private port): call
// metadata reaching the handler, a handler's MicroError printed as one line, and `stream` (stdin
// JSON lines in, replies as JSON lines out, a bad line cancelling with a 400).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';
import { CLI, isOneLineError, runCli, startEcho, type Sample } from './cli.helpers.js';

describe('nest-micro CLI against the echo fixture', () => {
  let env: NodeJS.ProcessEnv;
  let echo: Sample;

  beforeAll(async () => {
    env = { MICRO_REGISTRY: '', MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}` };
    echo = await startEcho(env);
  });

  afterAll(async () => {
    await echo?.proc.stop();
  });

  it('call: -m key:value metadata reaches the handler', async () => {
    const r = await runCli(
      ['call', 'cli-echo', 'Echo.Meta', '{}', '-m', 'x-user:bob', '-m', 'x-other:1'],
      env,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ user: 'bob' });
  });

  it("call: a handler's MicroError prints its code, id and detail on one line (exit 1)", async () => {
    const r = await runCli(['call', 'cli-echo', 'Echo.Fail', '{}'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(isOneLineError(r.stderr)).toBe(true);
    expect(r.stderr.trim()).toBe('nest-micro: error 409 Conflict [echo.fail]: the thing already exists');
  });

  it('stream: JSON lines on stdin in, one JSON line per reply out, exit 0 when the input ends', async () => {
    const input = '{"a":1}\n\n"two"\n[3]\n';
    const r = await runCli(['stream', 'cli-echo', 'Echo.Stream'], env, input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { seen: 1, value: { a: 1 } },
      { seen: 2, value: 'two' },
      { seen: 3, value: [3] },
    ]);
  });

  it('stream: empty input opens and ends the stream cleanly', async () => {
    const r = await runCli(['stream', 'cli-echo', 'Echo.Stream', '--address', echo.address], env, '');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('stream: a line that is not JSON cancels the stream with a one-line 400 (exit 1)', async () => {
    const r = await runCli(['stream', 'cli-echo', 'Echo.Stream'], env, '{"ok":true}\n{oops\n{"never":1}\n');
    expect(r.code).toBe(1);
    expect(isOneLineError(r.stderr)).toBe(true);
    expect(r.stderr).toContain('error 400 Bad Request [nest-micro.cli]: stdin line 2 is not JSON');
    expect(r.stdout).not.toContain('never');
  });

  it('stream: an unknown service is a 404 with the hint (exit 1)', async () => {
    const r = await runCli(['stream', 'nope', 'Nope.Stream'], env, '{}\n');
    expect(r.code).toBe(1);
    expect(isOneLineError(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/error 404 Not Found .*service nope: not found \(mDNS found no node/);
  });

  it('stream: SIGINT while the stream is open cancels it and exits 130', async () => {
    const child = spawn(process.execPath, [...CLI, 'stream', 'cli-echo', 'Echo.Stream'], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = once(child, 'exit');
    try {
      child.stdin.write('{"first":true}\n'); // stdin stays open: the stream stays open
      await waitFor(() => stdout.includes('"seen":1'), 20_000, 'first reply');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(130);
      expect(JSON.parse(stdout.trim())).toEqual({ seen: 1, value: { first: true } });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
