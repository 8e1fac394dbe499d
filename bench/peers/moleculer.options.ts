/**
 * Broker options shared by the Moleculer peers' two nodes, no extras. The transporter is TCP with
 * static URLs (no UDP discovery) unless BENCH_MOLECULER_TRANSPORTER=nats: then Moleculer's NATS
 * transporter (the deprecated `nats` v2 package it requires, a dev dependency) on the nats-server
 * the harness starts (MICRO_TRANSPORT_ADDRESS).
 */
import type { BrokerOptions } from 'moleculer';

export function moleculerOptions(nodeID: 'bench-server' | 'bench-client'): BrokerOptions {
  const server = `127.0.0.1:${process.env.BENCH_PORT}/bench-server`;
  const client = `127.0.0.1:${process.env.BENCH_PORT2}/bench-client`;
  const transporter: BrokerOptions['transporter'] =
    process.env.BENCH_MOLECULER_TRANSPORTER === 'nats'
      ? { type: 'NATS', options: { url: `nats://${process.env.MICRO_TRANSPORT_ADDRESS}` } }
      : { type: 'TCP', options: { udpDiscovery: false, urls: `${server},${client}` } };
  return {
    nodeID,
    namespace: `bench-${process.env.BENCH_PORT}`,
    logger: false,
    metrics: false,
    tracing: false,
    transporter,
  };
}
