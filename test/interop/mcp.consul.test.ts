// `nest-micro mcp` in front of a mixed fleet on one Consul (127.0.0.1): a Nest service
// (test/e2e/fixtures/mcp-blog.service.ts) and a real go-micro v5.30.0 greeter (v5peer serve), driven
// by the official MCP SDK's Client over stdio and over Streamable HTTP. The Go service appears after
// the MCP session began (tools/list_changed), its tools carry JSON Schema from go-micro's own field
// trees (protobuf structs: string, int32), stream endpoints are left out, and its calls — a reply
// and a failing one (a 409 MicroError as a tool error) — go through nest-micro's client.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consulAvailability, startConsul, type ConsulAgent } from '../support/consul.js';
import {
  httpMcpClient,
  startHttpMcp,
  stdioMcpClient,
  toolError,
  toolReply,
  watchTools,
} from '../support/mcp.js';
import { startProcess, waitFor, type Started } from '../support/processes.js';
import {
  buildGoPeer,
  consulEnv,
  goAvailability,
  GO_BUILD_TIMEOUT_MS,
  startGoPeer,
  type GoPeer,
} from './support/go-peer.js';
import { why } from './support/greeter.js';

const FIXTURE = 'test/e2e/fixtures/mcp-blog.service.ts';

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `nest-micro mcp over Consul with Go and Node services ${why(goAvailability.reason, consulAvailability.reason)}`,
  () => {
    let consul: ConsulAgent;
    let env: Record<string, string>;
    let globalArgs: string[];
    let blog: Started | undefined;
    let http: Started | undefined;
    let goGreeter: GoPeer | undefined;
    let stdio: Client;
    let httpUrl: string;
    const clients: Client[] = [];

    beforeAll(async () => {
      [consul] = await Promise.all([startConsul(), buildGoPeer()]);
      env = consulEnv(consul.address);
      globalArgs = ['--registry', 'consul', '--registry-address', consul.address];
      blog = startProcess(process.execPath, ['--import', './scripts/register-ts.mjs', FIXTURE], env);
      await waitFor(
        () => /blog ready at/.test(blog!.output()) || blog!.child.exitCode !== null,
        60_000,
        FIXTURE,
      );
      if (blog.child.exitCode !== null) throw new Error(`${FIXTURE} exited: ${blog.output()}`);
      stdio = (await stdioMcpClient(globalArgs, [], env)).client;
      clients.push(stdio);
      const started = await startHttpMcp(globalArgs, [], env);
      http = started.proc;
      httpUrl = started.url;
    }, GO_BUILD_TIMEOUT_MS + 120_000);

    afterAll(async () => {
      await Promise.allSettled(clients.map((c) => c.close()));
      await Promise.allSettled([blog?.stop(), http?.stop(), goGreeter?.stop()]);
      await consul?.close();
    });

    it('stdio: lists the Node service tools', async () => {
      const tools = await watchTools(stdio).until(
        (t) => t.some((x) => x.name === 'blog.Blog.Create'),
        'blog tools',
      );
      expect(tools.find((t) => t.name === 'blog.Blog.Create')?.description).toBe('Create a blog post');
    }, 120_000);

    it('stdio: a Go service that registers is announced by tools/list_changed, with schemas from its field trees', async () => {
      const watcher = watchTools(stdio);
      goGreeter = startGoPeer(['serve'], env);
      await goGreeter.ready(60_000);
      const tools = await watcher.until(
        (t) => t.some((x) => x.name === 'go.greeter.Greeter.Hello'),
        'Go tools',
      );
      expect(watcher.changes()).toBeGreaterThan(0);
      const names = tools.map((t) => t.name).filter((n) => n.startsWith('go.greeter.'));
      expect(names).toEqual(
        expect.arrayContaining([
          'go.greeter.Greeter.Hello',
          'go.greeter.Greeter.Fail',
          'go.greeter.Greeter.Metadata',
        ]),
      );
      // streams (ServerStream, Bidi, Collect) are not single calls
      expect(names).not.toContain('go.greeter.Greeter.ServerStream');
      expect(names).not.toContain('go.greeter.Greeter.Bidi');
      const hello = tools.find((t) => t.name === 'go.greeter.Greeter.Hello')!;
      expect(hello.description).toBeTruthy();
      expect(hello.inputSchema).toMatchObject({
        type: 'object',
        properties: {
          name: { type: 'string' },
          count: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
        },
      });
    }, 120_000);

    it('stdio: calls the Go service, and its MicroError comes back as a tool error', async () => {
      expect(
        toolReply(await stdio.callTool({ name: 'go.greeter.Greeter.Hello', arguments: { name: 'John' } })),
      ).toEqual({ msg: 'Hello John' });
      const error = toolError(
        await stdio.callTool({ name: 'go.greeter.Greeter.Fail', arguments: { name: 'John' } }),
      );
      expect(error).toMatchObject({ id: 'go.greeter.fail', code: 409, detail: 'refusé: 5 € for John' });
    });

    it('HTTP: lists and calls the Go and Node services', async () => {
      const client = await httpMcpClient(httpUrl);
      clients.push(client);
      const tools = await watchTools(client).until(
        (t) =>
          t.some((x) => x.name === 'go.greeter.Greeter.Hello') && t.some((x) => x.name === 'blog.Blog.Read'),
        'Go and Node tools over HTTP',
      );
      expect(tools.length).toBeGreaterThanOrEqual(6);
      expect(
        toolReply(await client.callTool({ name: 'go.greeter.Greeter.Hello', arguments: { name: 'Ann' } })),
      ).toEqual({
        msg: 'Hello Ann',
      });
      expect(toolReply(await client.callTool({ name: 'blog.Blog.Read', arguments: { id: '9' } }))).toEqual({
        id: '9',
        title: 'Hello',
      });
      const error = toolError(
        await client.callTool({ name: 'go.greeter.Greeter.Fail', arguments: { name: 'Ann' } }),
      );
      expect(error.code).toBe(409);
    }, 120_000);
  },
);
