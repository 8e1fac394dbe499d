/** Broker options shared by the Moleculer peer's two nodes: TCP transporter, static URLs, no extras. */
import type { BrokerOptions } from 'moleculer';

export function moleculerOptions(nodeID: 'bench-server' | 'bench-client'): BrokerOptions {
  const server = `127.0.0.1:${process.env.BENCH_PORT}/bench-server`;
  const client = `127.0.0.1:${process.env.BENCH_PORT2}/bench-client`;
  return {
    nodeID,
    namespace: `bench-${process.env.BENCH_PORT}`,
    logger: false,
    metrics: false,
    tracing: false,
    transporter: { type: 'TCP', options: { udpDiscovery: false, urls: `${server},${client}` } },
  };
}
