// serveMcpHttp in process on 127.0.0.1 (a memory registry, a caller the test controls) with the SDK's
// Streamable HTTP client: the body limit (413), the session bound (a 503 while every session has a
// request in progress; an abandoned session makes room for a new one), and close() ending sessions.
import { request } from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MicroMcpServer, serveMcpHttp, type McpHttpServer, type ToolCaller } from '../../../lib/mcp/index.js';
import { httpMcpClient, toolReply } from '../../support/mcp.js';
import { waitFor } from '../../support/processes.js';

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('serveMcpHttp limits', () => {
  let mcp: MicroMcpServer;
  let http: McpHttpServer;
  let release!: () => void;
  let called!: () => void;
  const calledOnce = new Promise<void>((resolve) => (called = resolve));
  const clients: Client[] = [];

  beforeAll(async () => {
    const registry = new MemoryRegistry();
    await registry.register({
      name: 'slow',
      version: '1',
      metadata: {},
      nodes: [{ id: 's-1', address: '127.0.0.1:1', metadata: {} }],
      endpoints: [{ name: 'Slow.Wait', metadata: {} }],
    });
    const caller: ToolCaller = {
      call: <T>() =>
        new Promise<T>((resolve) => {
          release = () => resolve({ done: true } as T);
          called();
        }),
    };
    mcp = new MicroMcpServer({ registry, caller });
    http = await serveMcpHttp(mcp, { port: 0, maxSessions: 1, maxBodySize: 1024 });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await http?.close();
    await mcp?.close();
  });

  it('answers a body past maxBodySize with a 413', async () => {
    expect(
      await post(http.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: 'y'.repeat(2048) })),
    ).toBe(413);
  });

  it('refuses a new session with a 503 while the only one is busy; an abandoned one makes room', async () => {
    const first = await httpMcpClient(http.url);
    const pending = first.callTool({ name: 'slow.Slow.Wait', arguments: {} });
    await calledOnce; // the first session has a request in progress
    await expect(httpMcpClient(http.url)).rejects.toThrow(/Service Unavailable: 1 sessions in use/);

    release();
    expect(toolReply(await pending)).toEqual({ done: true });
    await first.close(); // gone without ending its session (no DELETE)

    let second: Client | undefined;
    await waitFor(
      async () => {
        second = await httpMcpClient(http.url);
        return true;
      },
      30_000,
      'a session in place of the abandoned one',
    );
    clients.push(second!);
    expect((await second!.listTools()).tools.map((t) => t.name)).toEqual(['slow.Slow.Wait']);
  });
});
