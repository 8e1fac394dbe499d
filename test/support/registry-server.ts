/**
 * A registry several test processes can share: an in-test HTTP server in front of a MemoryRegistry
 * (`serveRegistry`), reached from any process through `RemoteRegistry` (test/support/remote-registry).
 * Loopback only. Routes: POST /register {service, options}, POST /deregister {service},
 * GET /services/<name>, GET /services.
 */
import { createServer, type Server } from 'node:http';
import { MemoryRegistry } from '../../lib/core/registry/memory.registry.js';

export interface ServedRegistry {
  url: string;
  registry: MemoryRegistry;
  close(): Promise<void>;
}

export async function serveRegistry(): Promise<ServedRegistry> {
  const registry = new MemoryRegistry();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
        const path = req.url ?? '/';
        if (req.method === 'POST' && path === '/register')
          return registry.register(input.service, input.options);
        if (req.method === 'POST' && path === '/deregister') return registry.deregister(input.service);
        if (path === '/services') return registry.listServices();
        if (path.startsWith('/services/')) return registry.getService(decodeURIComponent(path.slice(10)));
        throw new Error(`unknown route ${path}`);
      })().then(
        (out) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out ?? null)),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    registry,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
