/**
 * What the discovery suites (mDNS, Consul, etcd) check the same way: the Greeter's endpoints, the
 * ready line of a Node service, how a go-micro GetService must see a Node service — its node,
 * go-micro's node metadata, every endpoint (streams marked) and its subscribers as endpoints with
 * their topic — and its subscribers as `micro.http.broker` nodes, and how Node must see the Go greeter.
 */
import { expect } from 'vitest';

export const GREETER_ENDPOINTS = [
  'Greeter.Bidi',
  'Greeter.Collect',
  'Greeter.Deadline',
  'Greeter.Fail',
  'Greeter.Hello',
  'Greeter.Metadata',
  'Greeter.ServerStream',
  'Greeter.Sleep',
  'Greeter.Void',
];

export interface NodeReady {
  event: 'ready';
  service: string;
  address: string;
  nodeId: string;
}

/** `services`, as `v5peer get` printed them, hold exactly the Node service of `ready`, complete. */
export function expectGoSeesNodeService(services: unknown[], ready: NodeReady, registry: string): void {
  expect(services).toHaveLength(1);
  const service = services[0] as { nodes: unknown[]; endpoints: unknown[] };
  expect(service).toMatchObject({ name: ready.service, version: 'latest' });
  expect(service.nodes).toEqual([
    {
      id: ready.nodeId,
      address: ready.address,
      metadata: expect.objectContaining({
        protocol: 'mucp',
        server: 'mucp',
        broker: 'http',
        registry,
        framework: 'nest-micro',
      }),
    },
  ]);
  const endpoints = service.endpoints as Array<{ name: string; metadata: Record<string, string> }>;
  expect(endpoints.map((e) => e.name)).toEqual(expect.arrayContaining(GREETER_ENDPOINTS));
  expect(endpoints.find((e) => e.name === 'Greeter.Bidi')?.metadata).toMatchObject({ stream: 'true' });
  // subscribers are endpoints too, as go-micro registers them (named by topic here)
  const subscribers = endpoints.filter((e) => e.metadata?.subscriber === 'true');
  expect(subscribers.map((e) => e.metadata.topic).toSorted()).toEqual(['interop.broadcast', 'interop.queue']);
}

/** A `micro.http.broker` node's metadata as go-micro's HTTP broker registers it. */
const subscriber = (topic: string): unknown =>
  expect.objectContaining({ broker: 'http', topic, secure: 'false' });

/**
 * `services`, as `v5peer get --service micro.http.broker` printed them, hold the Node greeter's
 * subscribers: go-micro's HTTP broker registers one service per version (the queue name, or
 * ff.http.broadcast), two subscribers of each topic.
 */
export function expectGoSeesSubscribers(services: unknown[]): void {
  const byVersion = Object.fromEntries(
    (services as Array<{ version: string; nodes: Array<{ metadata: Record<string, string> }> }>).map((s) => [
      s.version,
      s.nodes.map((n) => n.metadata),
    ]),
  );
  expect(Object.keys(byVersion).toSorted()).toEqual(['ff.http.broadcast', 'workers']);
  expect(byVersion['ff.http.broadcast']).toEqual([
    subscriber('interop.broadcast'),
    subscriber('interop.broadcast'),
  ]);
  expect(byVersion.workers).toEqual([subscriber('interop.queue'), subscriber('interop.queue')]);
}

/** The Go greeter of `goReady` as Node's registry got it: its node, go-micro's metadata, endpoints. */
export function expectNodeSeesGoService(
  service: { nodes: unknown[]; endpoints: Array<{ name: string }> } | undefined,
  goReady: { nodeId: string; address: string },
  registry: string,
): void {
  expect(service).toMatchObject({ name: 'go.greeter', version: 'latest' });
  expect(service!.nodes).toEqual([
    {
      id: goReady.nodeId,
      address: goReady.address,
      metadata: expect.objectContaining({ protocol: 'mucp', server: 'mucp', registry }),
    },
  ]);
  expect(service!.endpoints.map((e) => e.name)).toEqual(expect.arrayContaining(GREETER_ENDPOINTS));
  // go-micro's endpoint Value trees come through intact
  expect(service!.endpoints.find((e) => e.name === 'Greeter.Hello')).toMatchObject({
    request: {
      name: 'Request',
      type: 'Request',
      values: [
        { name: 'name', type: 'string' },
        { name: 'count', type: 'int32' },
      ],
    },
    response: { name: 'Response', type: 'Response', values: [{ name: 'msg', type: 'string' }] },
    metadata: { description: 'Hello answers "Hello <name>".' },
  });
}
