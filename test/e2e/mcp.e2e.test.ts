// `nest-micro mcp` against a real Nest service found by mDNS on 127.0.0.1 (a private mDNS port, so
// other suites' services never show up), driven by the official MCP SDK's Client: over stdio (the
// SDK spawns the CLI) and over Streamable HTTP (a CLI child with --http, tokens and a rate limit).
// Tools listed with descriptions and schemas, calls, a MicroError as a tool error, a new service
// appearing (tools/list_changed), auth (401), a scope refusal (403), a rate-limit refusal (429) and
// the HTTP listener's own refusals (Host check, unknown session).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  httpMcpClient,
  startHttpMcp,
  stdioMcpClient,
  toolError,
  toolReply,
  watchTools,
} from '../support/mcp.js';
import { freePort } from '../support/ports.js';
import { startProcess, waitFor, type Started } from '../support/processes.js';

const FIXTURE = 'test/e2e/fixtures/mcp-blog.service.ts';

async function startBlog(name: string, env: NodeJS.ProcessEnv): Promise<Started> {
  const proc = startProcess(process.execPath, ['--import', './scripts/register-ts.mjs', FIXTURE], {
    ...env,
    MCP_SERVICE: name,
  });
  const ready = new RegExp(`${name} ready at`);
  await waitFor(() => ready.test(proc.output()) || proc.child.exitCode !== null, 60_000, FIXTURE);
  if (proc.child.exitCode !== null) throw new Error(`${FIXTURE} exited: ${proc.output()}`);
  return proc;
}

/** A POST of an MCP initialize request with the given headers: status and body. */
function rawPost(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: object; body: string }> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('nest-micro mcp on mDNS (loopback)', () => {
  const procs: Started[] = [];
  const clients: Client[] = [];
  let env: Record<string, string>;
  let globalArgs: string[];
  let stdio: Client;
  let tokensDir: string;
  let httpUrl: string;

  beforeAll(async () => {
    env = { MICRO_REGISTRY: '', MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`, NO_COLOR: '1' };
    globalArgs = ['--registry', 'mdns', '--registry-address', env.MICRO_REGISTRY_ADDRESS!];
    procs.push(await startBlog('blog', env));
    stdio = (await stdioMcpClient(globalArgs, [], env)).client;
    clients.push(stdio);

    tokensDir = mkdtempSync(join(tmpdir(), 'nest-micro-mcp-'));
    const tokens = join(tokensDir, 'tokens.json');
    writeFileSync(
      tokens,
      JSON.stringify({
        'writer-token': { id: 'alice', scopes: ['blog:write'] },
        'reader-token': ['blog:read'],
      }),
    );
    const http = await startHttpMcp(
      globalArgs,
      ['--tokens', tokens, '--rate-limit', '0.001', '--burst', '1'],
      env,
    );
    procs.push(http.proc);
    httpUrl = http.url;
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(procs.map((p) => p.stop()));
    if (tokensDir) rmSync(tokensDir, { recursive: true, force: true });
  });

  it('stdio: lists the Node service endpoints as tools with descriptions and JSON Schema', async () => {
    const tools = await watchTools(stdio).until(
      (t) => t.some((x) => x.name === 'blog.Blog.Create'),
      'blog tools',
    );
    const names = tools.map((t) => t.name).filter((n) => n.startsWith('blog.'));
    expect(names).toEqual(['blog.Blog.Create', 'blog.Blog.Fail', 'blog.Blog.Read']); // Debug.* left out
    const create = tools.find((t) => t.name === 'blog.Blog.Create')!;
    expect(create.description).toBe('Create a blog post');
    expect(create.inputSchema).toMatchObject({
      type: 'object',
      properties: {
        title: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        author: { type: 'object', properties: { name: { type: 'string' } } },
      },
      examples: [{ title: 'Hello', tags: ['intro'] }],
    });
  }, 120_000);

  it('stdio: calls a tool through the client and returns the reply', async () => {
    const result = await stdio.callTool({
      name: 'blog.Blog.Create',
      arguments: { title: 'Hi', author: { name: 'Ann' } },
    });
    expect(toolReply(result)).toEqual({ id: 'post-1', title: 'Hi', author: 'Ann' });
  });

  it('stdio: a MicroError from the service is a tool error carrying its JSON', async () => {
    const error = toolError(await stdio.callTool({ name: 'blog.Blog.Fail', arguments: {} }));
    expect(error).toEqual({ id: 'blog.fail', code: 409, detail: 'post already exists', status: 'Conflict' });
  });

  it('stdio: arguments that do not fit the schema are a 400 tool error', async () => {
    const error = toolError(await stdio.callTool({ name: 'blog.Blog.Create', arguments: { title: 7 } }));
    expect(error).toMatchObject({ id: 'go.micro.mcp', code: 400 });
  });

  it('HTTP: lists and calls with a token holding the scope', async () => {
    const writer = await httpMcpClient(httpUrl, 'writer-token');
    clients.push(writer);
    await watchTools(writer).until(
      (t) => t.some((x) => x.name === 'blog.Blog.Create'),
      'blog tools over HTTP',
    );
    expect(
      toolReply(await writer.callTool({ name: 'blog.Blog.Create', arguments: { title: 'Yo' } })),
    ).toEqual({
      id: 'post-1',
      title: 'Yo',
    });
  }, 120_000);

  it('HTTP: refuses a tool whose scope the token lacks (403), then rate-limits a tool (429)', async () => {
    const reader = await httpMcpClient(httpUrl, 'reader-token');
    clients.push(reader);
    await watchTools(reader).until((t) => t.some((x) => x.name === 'blog.Blog.Read'), 'blog tools over HTTP');
    const refused = toolError(
      await reader.callTool({ name: 'blog.Blog.Create', arguments: { title: 'No' } }),
    );
    expect(refused).toMatchObject({ id: 'go.micro.mcp', code: 403, status: 'Forbidden' });
    expect(refused.detail).toContain('blog:write');

    // --rate-limit 0.001 --burst 1: one call per tool, then 429s (a token takes 1000 s to come back)
    expect(toolReply(await reader.callTool({ name: 'blog.Blog.Read', arguments: { id: '1' } }))).toEqual({
      id: '1',
      title: 'Hello',
    });
    const limited = toolError(await reader.callTool({ name: 'blog.Blog.Read', arguments: { id: '1' } }));
    expect(limited).toMatchObject({ code: 429, status: 'Too Many Requests' });
  }, 120_000);

  it('HTTP: no token or an unknown one is a 401 with WWW-Authenticate', async () => {
    const none = await rawPost(httpUrl, {});
    expect(none.status).toBe(401);
    expect(none.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
    expect((await rawPost(httpUrl, { Authorization: 'Bearer nope' })).status).toBe(401);
    await expect(httpMcpClient(httpUrl)).rejects.toThrow();
  });

  it('HTTP: a foreign Host or Origin is refused (DNS rebinding), an unknown session is a 404', async () => {
    const auth = { Authorization: 'Bearer reader-token' };
    expect((await rawPost(httpUrl, { ...auth, Host: 'evil.example:80' })).status).toBe(403);
    expect((await rawPost(httpUrl, { ...auth, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await rawPost(httpUrl, { ...auth, 'Mcp-Session-Id': 'no-such-session' })).status).toBe(404);
    expect((await rawPost(httpUrl.replace(/\/mcp$/, '/other'), auth)).status).toBe(404);
  });

  it('stdio: a service that appears is announced by tools/list_changed and listed', async () => {
    const watcher = watchTools(stdio);
    procs.push(await startBlog('notes', env));
    const tools = await watcher.until((t) => t.some((x) => x.name === 'notes.Blog.Read'), 'the notes tools');
    expect(watcher.changes()).toBeGreaterThan(0);
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['notes.Blog.Create', 'notes.Blog.Read']),
    );
    expect(toolReply(await stdio.callTool({ name: 'notes.Blog.Read', arguments: { id: '2' } }))).toEqual({
      id: '2',
      title: 'Hello',
    });
  }, 120_000);
});
