// `nest-micro web` (the dashboard on the command line) against the sample greeter found by mDNS on
// 127.0.0.1 (a private mDNS port): it prints its URL, serves the page, lists the greeter, calls it
// and reads its Debug.Stats through the API with the token, refuses without it, and exits 0 on SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.js';
import { waitFor, type Started } from '../../support/processes.js';
import { startCli, startSample, type Sample } from './cli.helpers.js';

describe('nest-micro web on mDNS (loopback)', () => {
  let env: NodeJS.ProcessEnv;
  let sample: Sample;
  let web: Started;
  let base: string;
  const auth = { Authorization: 'Bearer t0k' };

  beforeAll(async () => {
    env = { MICRO_REGISTRY: '', MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`, NO_COLOR: '1' };
    sample = await startSample(env);
    web = startCli(['web', '--address', `127.0.0.1:${await freePort()}`, '--token', 't0k'], env);
    await waitFor(() => /dashboard at http:\/\/\S+\//.test(web.output()), 30_000, 'nest-micro web').catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n${web.output()}`);
      },
    );
    base = /dashboard at (http:\/\/\S+)\//.exec(web.output())![1]!;
  });

  afterAll(async () => {
    await web?.stop();
    await sample?.proc.stop();
  });

  it('prints its URL and serves the page without a token', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="importmap">');
  });

  it('lists the greeter, calls it and reads its stats with the token; 401 without', async () => {
    expect((await fetch(`${base}/api/services`)).status).toBe(401);
    await waitFor(
      async () => {
        const res = await fetch(`${base}/api/services`, { headers: auth });
        const { services } = (await res.json()) as { services: Array<{ name: string }> };
        return services.some((s) => s.name === 'greeter');
      },
      15_000,
      'the greeter in api/services',
    );
    const call = await fetch(`${base}/api/call`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ service: 'greeter', endpoint: 'Greeter.Hello', request: { name: 'Cli' } }),
    });
    expect(call.status).toBe(200);
    expect(((await call.json()) as { reply: { msg: string } }).reply.msg).toContain('Cli');
    const stats = await fetch(`${base}/api/stats?service=greeter`, { headers: auth });
    const body = (await stats.json()) as {
      nodes: Array<{ stats?: { requests: number; latency?: unknown } }>;
    };
    expect(body.nodes[0]!.stats!.requests).toBeGreaterThan(0);
    expect(body.nodes[0]!.stats!.latency).toBeDefined();
  });

  it('SIGTERM closes the server and exits 0', async () => {
    await web.stop('SIGTERM');
    expect(web.child.exitCode).toBe(0);
  });
});
