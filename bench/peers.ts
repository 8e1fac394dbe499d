/**
 * The peers of the speed harness: for each, the server and client scripts under bench/peers/ and
 * the environment they are started with. Every server listens on 127.0.0.1:BENCH_PORT.
 *
 * `go:serve` and `go:bench` stand for the real go-micro program of the interop tests
 * (test/interop/go/v5peer, go-micro v5.30.0 on its defaults: HTTP transport, JSON, its client pool):
 * its greeter, and its closed-loop load generator calling Greeter.Hello with go-micro's client. The
 * go-micro registry (mDNS) joins multicast on every interface, so the Go peers run on go-micro's
 * memory registry and every client of a Go-involved pair calls the server's address directly
 * (client.WithAddress; nest-micro's `address` option).
 */
export interface Peer {
  id: string;
  label: string;
  /** A script under bench/peers/ (no extension: .ts or built .js), or `go:serve`. */
  server: string;
  /** A script under bench/peers/ (no extension), or `go:bench`. */
  client: string;
  env?: Record<string, string>;
  /** Run only when named in --peers (`npm run bench:tracing` names them), not by default. */
  optIn?: boolean;
  /** Needs a nats-server: the harness starts one (test/support/nats.ts) and passes MICRO_TRANSPORT_ADDRESS. */
  nats?: boolean;
}

/** Environment of the Go peers: go-micro's memory registry, the server on BENCH_PORT. */
export const GO_ENV = { MICRO_REGISTRY: 'memory' };

export const PEERS: Peer[] = [
  {
    id: 'nest-micro-tcp',
    label: 'nest-micro, fast transport (tcp), JSON, `client.call()`',
    server: 'nest-micro.server',
    client: 'nest-micro.client',
    env: { BENCH_TRANSPORT: 'tcp', BENCH_CODEC: 'json' },
  },
  {
    // the same service called as Nest users call a ClientProxy, on MicroModule's defaults (GO_ENV's
    // memory registry replaced by the default, mDNS)
    id: 'nest-micro-tcp-send',
    label: 'nest-micro, fast transport (tcp), JSON, Nest `send()`',
    server: 'nest-micro.server',
    client: 'nest-micro-send.client',
    env: { BENCH_TRANSPORT: 'tcp', BENCH_CODEC: 'json', MICRO_REGISTRY: 'mdns' },
  },
  {
    id: 'nest-micro-tcp-proto',
    label: 'nest-micro, fast transport (tcp), protobuf',
    server: 'nest-micro.server',
    client: 'nest-micro.client',
    env: { BENCH_TRANSPORT: 'tcp', BENCH_CODEC: 'protobuf' },
  },
  {
    id: 'nest-micro-http',
    label: 'nest-micro, HTTP transport, JSON',
    server: 'nest-micro.server',
    client: 'nest-micro.client',
    env: { BENCH_TRANSPORT: 'http', BENCH_CODEC: 'json' },
  },
  {
    // every call crosses the nats-server the harness starts on loopback (client → server → node and
    // back): a fleet with no direct connections, at the price of that hop
    id: 'nest-micro-nats',
    label: 'nest-micro, NATS transport (via nats-server), JSON',
    server: 'nest-micro.server',
    client: 'nest-micro.client',
    env: { BENCH_TRANSPORT: 'nats', BENCH_CODEC: 'json' },
    nats: true,
  },
  {
    id: 'nest-tcp',
    label: 'Nest 12 TCP transport',
    server: 'nest-tcp.server',
    client: 'nest-tcp.client',
  },
  {
    id: 'moleculer-tcp',
    label: 'Moleculer 0.15 TCP transporter',
    server: 'moleculer.server',
    client: 'moleculer.client',
  },
  {
    // the same two nodes on Moleculer's NATS transporter (the deprecated `nats` v2 package, dev only),
    // every request and response through the harness's nats-server: beside nest-micro-nats
    id: 'moleculer-nats',
    label: 'Moleculer 0.15 NATS transporter (via nats-server)',
    server: 'moleculer.server',
    client: 'moleculer.client',
    env: { BENCH_MOLECULER_TRANSPORTER: 'nats' },
    nats: true,
  },
  {
    id: 'raw-net',
    label: 'raw `net`, newline-delimited JSON, pipelined',
    server: 'raw-net.server',
    client: 'raw-net.client',
  },
  {
    id: 'go-micro',
    label: 'go-micro v5 client → go-micro v5 service (HTTP, JSON)',
    server: 'go:serve',
    client: 'go:bench',
  },
  {
    id: 'go-to-nest-micro',
    label: 'go-micro v5 client → nest-micro service (its port, HTTP, JSON)',
    server: 'nest-micro.server',
    client: 'go:bench',
    env: { BENCH_TRANSPORT: 'tcp', BENCH_CODEC: 'json' },
  },
  {
    id: 'nest-micro-to-go',
    label: 'nest-micro client → go-micro v5 service (HTTP, JSON)',
    server: 'go:serve',
    client: 'nest-micro.client',
    env: { BENCH_TRANSPORT: 'http', BENCH_CODEC: 'json', BENCH_DIRECT: '1' },
  },
  {
    id: 'raw-http',
    label: 'raw `node:http` keep-alive',
    server: 'raw-http.server',
    client: 'raw-http.client',
  },
  // the cost of tracing, beside nest-micro-tcp as the plain row (npm run bench:tracing runs only
  // these three): both processes set up by BENCH_TRACING (bench/peers/tracing.ts)
  {
    id: 'nest-micro-tcp-otel-api',
    label: 'nest-micro tcp `call()`, OpenTelemetry API without SDK',
    server: 'nest-micro.server',
    client: 'nest-micro.client',
    env: { BENCH_TRANSPORT: 'tcp', BENCH_CODEC: 'json', BENCH_TRACING: 'api' },
  },
  {
    id: 'nest-micro-tcp-otel-sdk',
    label: 'nest-micro tcp `call()`, OpenTelemetry SDK, batch processor',
    server: 'nest-micro.server',
    client: 'nest-micro.client',
    env: { BENCH_TRANSPORT: 'tcp', BENCH_CODEC: 'json', BENCH_TRACING: 'sdk' },
  },
];
