/**
 * nest-micro/gateway: the HTTP API gateway (go-micro's `micro api` and gateway routes) as a plain
 * Node request listener on the library's client and registry. `nest-micro api` runs it;
 * `MicroGatewayModule` (nest-micro) mounts it in a Nest HTTP app.
 */
export { MicroGateway } from './gateway.js';
export { GATEWAY_ERROR_ID } from './http-io.js';
export { openapiDocument } from './openapi.js';
export type { Route as GatewayRoute } from './routes.js';
export {
  GATEWAY_DEFAULTS,
  type CorsOptions,
  type GatewayAuthOptions,
  type GatewayClient,
  type GatewayOptions,
  type GatewayResponseEvent,
  type TokenVerifier,
} from './options.js';
