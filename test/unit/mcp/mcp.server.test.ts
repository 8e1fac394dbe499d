// MicroMcpServer in process: the SDK's own Client over the SDK's in-memory transport, a memory
// registry and a recording caller. Tools from endpoints (names, descriptions, schemas, what is left
// out), calls and their metadata, MicroErrors as tool errors, argument validation, auth and scopes,
// the per-tool rate limit, and tools/list_changed when the registry changes.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/index.js';
import { MemoryRegistry, type Service } from '../../../lib/core/registry/index.js';
import { MicroMcpServer, type MicroMcpOptions, type ToolCaller } from '../../../lib/mcp/index.js';

const blog: Service = {
  name: 'blog',
  version: '1.0.0',
  metadata: {},
  nodes: [{ id: 'blog-1', address: '127.0.0.1:1', metadata: {} }],
  endpoints: [
    {
      name: 'Blog.Create',
      request: {
        name: 'CreateRequest',
        type: 'CreateRequest',
        values: [
          { name: 'title', type: 'string' },
          { name: 'tags', type: '[]string' },
        ],
      },
      metadata: { description: 'Create a post', example: '{"title":"Hi"}', scopes: 'blog:write,blog:admin' },
    },
    { name: 'Blog.Read', request: { name: 'ReadRequest', type: 'ReadRequest', values: [] }, metadata: {} },
    { name: 'Blog.Echo', request: { name: 'string', type: 'string' }, metadata: {} },
    { name: 'Blog.Fail', metadata: {} },
    { name: 'Blog.Watch', metadata: { stream: 'true' } },
    { name: 'Debug.Health', metadata: {} },
    { name: 'blog.created', metadata: { topic: 'blog.created', subscriber: 'true' } },
  ],
};

interface Recorded {
  service: string;
  endpoint: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

function recordingCaller(): ToolCaller & { calls: Recorded[] } {
  const calls: Recorded[] = [];
  return {
    calls,
    call: <T>(
      service: string,
      endpoint: string,
      data: unknown,
      options?: { metadata?: object },
    ): Promise<T> => {
      calls.push({ service, endpoint, data, metadata: { ...options?.metadata } });
      if (endpoint === 'Blog.Fail') return Promise.reject(MicroError.conflict('blog.fail', 'already exists'));
      return Promise.resolve({ ok: true, echo: data } as T);
    },
  };
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((o) => o.close()));
});

async function connect(options: Partial<MicroMcpOptions> = {}, token?: string) {
  const registry = new MemoryRegistry();
  await registry.register(blog);
  const caller = recordingCaller();
  const mcp = new MicroMcpServer({ registry, caller, ...options });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide, { token });
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(clientSide);
  open.push(client, mcp);
  return { registry, caller, mcp, client };
}

/** The MicroError a tool error carries. */
function microError(result: unknown): { id: string; code: number; detail: string; status: string } {
  const r = result as CallToolResult;
  expect(r.isError).toBe(true);
  const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
  return JSON.parse(text) as { id: string; code: number; detail: string; status: string };
}

describe('MicroMcpServer tools', () => {
  it('lists each endpoint as service.Endpoint, leaving out Debug, streams and subscribers', async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      'blog.Blog.Create',
      'blog.Blog.Echo',
      'blog.Blog.Fail',
      'blog.Blog.Read',
    ]);
    const create = tools.find((t) => t.name === 'blog.Blog.Create')!;
    expect(create.description).toBe('Create a post');
    expect(create.inputSchema).toMatchObject({
      type: 'object',
      properties: { title: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
      examples: [{ title: 'Hi' }],
    });
    expect(tools.find((t) => t.name === 'blog.Blog.Fail')!.description).toBe(
      'Call Blog.Fail on blog service',
    );
    expect(tools.find((t) => t.name === 'blog.Blog.Echo')!.inputSchema).toEqual({
      type: 'object',
      properties: { request: { type: 'string' } },
      required: ['request'],
    });
  });

  it('lists Debug endpoints when asked', async () => {
    const { client } = await connect({ includeDebug: true });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('blog.Debug.Health');
  });

  it('calls through the caller with go-micro MCP metadata and returns the reply', async () => {
    const { client, caller } = await connect();
    const result = (await client.callTool({
      name: 'blog.Blog.Create',
      arguments: { title: 'Hi' },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ ok: true, echo: { title: 'Hi' } });
    expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual({
      ok: true,
      echo: { title: 'Hi' },
    });
    expect(caller.calls[0]).toMatchObject({
      service: 'blog',
      endpoint: 'Blog.Create',
      data: { title: 'Hi' },
    });
    expect(caller.calls[0]!.metadata['Mcp-Tool-Name']).toBe('blog.Blog.Create');
    expect(caller.calls[0]!.metadata['Mcp-Trace-Id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends a non-object request as the request argument alone', async () => {
    const { client, caller } = await connect();
    await client.callTool({ name: 'blog.Blog.Echo', arguments: { request: 'hello' } });
    expect(caller.calls[0]!.data).toBe('hello');
  });

  it('returns a MicroError as a tool error carrying its JSON', async () => {
    const { client } = await connect();
    const result = await client.callTool({ name: 'blog.Blog.Fail', arguments: {} });
    expect(microError(result)).toEqual({
      id: 'blog.fail',
      code: 409,
      detail: 'already exists',
      status: 'Conflict',
    });
    expect((result as CallToolResult).structuredContent).toMatchObject({ code: 409 });
  });

  it('refuses arguments that do not fit the input schema with a 400, without calling', async () => {
    const { client, caller } = await connect();
    const error = microError(await client.callTool({ name: 'blog.Blog.Create', arguments: { title: 42 } }));
    expect(error).toMatchObject({ id: 'go.micro.mcp', code: 400 });
    expect(error.detail).toMatch(/title/);
    expect(caller.calls).toHaveLength(0);
  });

  it('answers an unknown tool with a protocol error', async () => {
    const { client } = await connect();
    await expect(client.callTool({ name: 'blog.Blog.Nope', arguments: {} })).rejects.toThrow(/unknown tool/);
  });
});

describe('MicroMcpServer auth and limits', () => {
  const tokens = {
    writer: { id: 'alice', scopes: ['BLOG:WRITE'] },
    reader: { id: 'bob', scopes: ['blog:read'] },
  };

  it('refuses every call without a known token (401)', async () => {
    const { client, caller } = await connect({ tokens });
    expect(microError(await client.callTool({ name: 'blog.Blog.Read', arguments: {} }))).toMatchObject({
      code: 401,
    });
    expect(caller.calls).toHaveLength(0);
  });

  it('refuses a tool whose scopes the account lacks (403) and lets one holding any of them through', async () => {
    const reader = await connect({ tokens }, 'reader');
    const refused = microError(await reader.client.callTool({ name: 'blog.Blog.Create', arguments: {} }));
    expect(refused).toMatchObject({ id: 'go.micro.mcp', code: 403 });
    expect(refused.detail).toContain('blog:write');
    expect((await reader.client.callTool({ name: 'blog.Blog.Read', arguments: {} })).isError).toBeFalsy();

    const writer = await connect({ tokens }, 'writer');
    expect((await writer.client.callTool({ name: 'blog.Blog.Create', arguments: {} })).isError).toBeFalsy();
    expect(writer.caller.calls[0]!.metadata['Mcp-Account-Id']).toBe('alice');
  });

  it('lets a token holding * call any tool', async () => {
    const { client } = await connect({ tokens: { root: { id: 'root', scopes: ['*'] } } }, 'root');
    expect((await client.callTool({ name: 'blog.Blog.Create', arguments: {} })).isError).toBeFalsy();
  });

  it('lets the options replace a tool scopes', async () => {
    const { client } = await connect({ tokens, scopes: { 'blog.Blog.Read': ['blog:admin'] } }, 'reader');
    expect(microError(await client.callTool({ name: 'blog.Blog.Read', arguments: {} }))).toMatchObject({
      code: 403,
    });
  });

  it('rate-limits each tool on its own (429)', async () => {
    const { client, caller } = await connect({ rateLimit: { rate: 0.001, burst: 2 } });
    const read = () => client.callTool({ name: 'blog.Blog.Read', arguments: {} });
    expect((await read()).isError).toBeFalsy();
    expect((await read()).isError).toBeFalsy();
    expect(microError(await read())).toMatchObject({
      id: 'go.micro.mcp:blog.Blog.Read:rateLimit',
      code: 429,
    });
    expect((await client.callTool({ name: 'blog.Blog.Create', arguments: {} })).isError).toBeFalsy();
    expect(caller.calls).toHaveLength(3);
  });

  it('refuses a bad rate limit when built', () => {
    expect(
      () =>
        new MicroMcpServer({
          registry: new MemoryRegistry(),
          caller: recordingCaller(),
          rateLimit: { rate: 0 },
        }),
    ).toThrow(RangeError);
  });
});

describe('MicroMcpServer registry changes', () => {
  it('notifies tools/list_changed when a service appears or leaves, and lists its tools', async () => {
    const { client, registry } = await connect();
    let changed = 0;
    let notify!: () => void;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
      notify();
    });
    const next = () => new Promise<void>((resolve) => (notify = resolve));

    let arrived = next();
    await registry.register({
      name: 'notes',
      version: '1',
      metadata: {},
      nodes: [{ id: 'n-1', address: '127.0.0.1:2', metadata: {} }],
      endpoints: [{ name: 'Notes.Add', metadata: {} }],
    });
    await arrived;
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('notes.Notes.Add');

    arrived = next();
    await registry.deregister({
      name: 'notes',
      version: '1',
      metadata: {},
      nodes: [{ id: 'n-1', address: '127.0.0.1:2', metadata: {} }],
      endpoints: [],
    });
    await arrived;
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('notes.Notes.Add');
    expect(changed).toBe(2);
  });

  it('stays silent when a re-registration changes no tool', async () => {
    const { client, registry, mcp } = await connect();
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    await registry.register(blog);
    await mcp.catalog.refresh();
    expect(changed).toBe(0);
  });

  it('keeps the known tools when the registry fails', async () => {
    const { client, registry, mcp } = await connect();
    registry.listServices = () => Promise.reject(new Error('registry down'));
    await mcp.catalog.refresh();
    expect((await client.listTools()).tools).toHaveLength(4);
  });
});
