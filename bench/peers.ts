/**
 * The peers of the speed harness: for each, the server and client scripts under bench/peers/ and
 * the environment they are started with. Every server listens on 127.0.0.1:BENCH_PORT.
 */
export interface Peer {
  id: string;
  label: string;
  server: string;
  client: string;
  env?: Record<string, string>;
}

export const PEERS: Peer[] = [
  {
    id: 'nest-micro-tcp',
    label: 'nest-micro, fast transport (tcp), JSON',
    server: 'nest-micro.server.ts',
    client: 'nest-micro.client.ts',
    env: { BENCH_TRANSPORT: 'tcp', BENCH_CODEC: 'json' },
  },
  {
    id: 'nest-micro-tcp-proto',
    label: 'nest-micro, fast transport (tcp), protobuf',
    server: 'nest-micro.server.ts',
    client: 'nest-micro.client.ts',
    env: { BENCH_TRANSPORT: 'tcp', BENCH_CODEC: 'protobuf' },
  },
  {
    id: 'nest-micro-http',
    label: 'nest-micro, HTTP transport, JSON',
    server: 'nest-micro.server.ts',
    client: 'nest-micro.client.ts',
    env: { BENCH_TRANSPORT: 'http', BENCH_CODEC: 'json' },
  },
  {
    id: 'nest-tcp',
    label: 'Nest 12 TCP transport',
    server: 'nest-tcp.server.ts',
    client: 'nest-tcp.client.ts',
  },
  {
    id: 'moleculer-tcp',
    label: 'Moleculer 0.15 TCP transporter',
    server: 'moleculer.server.ts',
    client: 'moleculer.client.ts',
  },
  {
    id: 'raw-net',
    label: 'raw `net`, newline-delimited JSON, pipelined',
    server: 'raw-net.server.ts',
    client: 'raw-net.client.ts',
  },
  {
    id: 'raw-http',
    label: 'raw `node:http` keep-alive',
    server: 'raw-http.server.ts',
    client: 'raw-http.client.ts',
  },
];
