/** Registry entries for the micro-benchmarks: a service with `nodes` nodes on made-up addresses. */
import type { Service } from 'nest-micro/registry';

export function benchService(name: string, nodes: number, metadata: Record<string, string> = {}): Service {
  return {
    name,
    version: 'latest',
    metadata: {},
    endpoints: [{ name: 'Greeter.Hello', metadata: {} }],
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: `${name}-${i}`,
      address: `127.0.${i >> 8}.${i & 255}:8080`,
      metadata: { ...metadata },
    })),
  };
}
