/**
 * The ids nest-micro's MicroErrors carry: go-micro's error `id`, naming the part that failed, spelled
 * as go-micro spells them so Go callers and dashboards read them alike. The one place they are written.
 */
export const ERROR_ID = {
  client: 'go.micro.client',
  server: 'go.micro.server',
  transport: 'go.micro.transport',
  broker: 'go.micro.broker',
  codec: 'go.micro.codec',
  selector: 'go.micro.selector',
  /** The client's circuit breakers and bulkheads refusing a call. */
  breaker: 'go.micro.client.breaker',
  bulkhead: 'go.micro.client.bulkhead',
  /** The HTTP transport's own wire errors (parsing, a cancelled stream). */
  transportHttp: 'go.micro.transport.http',
  /** The framed tcp transport's client and server sides. */
  clientTransport: 'go.micro.client.transport',
  serverTransport: 'go.micro.server.transport',
  /** The MCP server refusing a tool call (auth, scopes, rate limit, arguments) before any RPC. */
  mcp: 'go.micro.mcp',
} as const;
