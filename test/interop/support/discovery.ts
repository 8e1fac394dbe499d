/**
 * What both discovery suites (mDNS, Consul) check the same way: the Greeter's endpoints, the ready
 * line of a Node service, and how a go-micro GetService must see a Node service — its node, go-micro's
 * node metadata, every endpoint (streams marked) and its subscribers as endpoints with their topic.
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
