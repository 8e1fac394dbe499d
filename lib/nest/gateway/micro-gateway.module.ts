/**
 * MicroGatewayModule: the HTTP API gateway (lib/gateway) inside a Nest HTTP app, under a prefix:
 * `MicroGatewayModule.forRoot({ prefix: 'gw', guards: [AuthGuard], cors: true })` beside
 * `MicroModule.forRoot(...)`, whose client and registry it calls through. It is a controller of
 * its own (one catch-all route under the prefix), so Nest guards — those given here, and global
 * ones — run before every gateway request, and a refusal comes back as go-micro's error JSON. A
 * guard finds the call the request asks for in `request.microRoute` (`{ kind: 'call', service,
 * endpoint }`, or a publish, a document…).
 */
import {
  Catch,
  Injectable,
  Module,
  type ArgumentsHost,
  type CanActivate,
  type DynamicModule,
  type ExceptionFilter,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicroGateway } from '../../gateway/gateway.js';
import { GATEWAY_ERROR_ID, sendError } from '../../gateway/http-io.js';
import type { GatewayClient, GatewayOptions } from '../../gateway/options.js';
import { route, type Route } from '../../gateway/routes.js';
import type { Registry } from '../../core/registry/registry.js';
import { toMicroError } from '../errors.js';
import { mountModule, pathAfterMount, type MountSpec } from '../http-mount.js';

export const MICRO_GATEWAY = Symbol.for('nest-micro:gateway');

export interface MicroGatewayModuleOptions extends Omit<GatewayOptions, 'client' | 'registry' | 'basePath'> {
  /** Where the gateway is mounted (default: the app's root). */
  prefix?: string;
  /** Nest guards run before every gateway request (classes are instantiated by Nest, with injection). */
  guards?: Array<Type<CanActivate> | CanActivate>;
  /** The client and registry to use instead of MicroModule's. */
  client?: GatewayClient;
  registry?: Registry;
}

/** The HTTP request as guards see it: `microRoute` says what the gateway will do with it. */
export interface GatewayRequest extends IncomingMessage {
  microRoute?: Route;
}

/** Runs first: puts the request's route on it (`request.microRoute`), for the guards after it. */
@Injectable()
class GatewayRouteGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    const endpoint = req.headers['micro-endpoint'];
    req.microRoute = route(restOf(req), Array.isArray(endpoint) ? endpoint[0] : endpoint);
    return true;
  }
}

/** A guard's refusal (or any Nest exception before the gateway runs) as go-micro's error JSON. */
@Catch()
class GatewayExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse>();
    sendError(res, toMicroError(exception, GATEWAY_ERROR_ID));
  }
}

/** The path after the prefix as the gateway routes it: from a leading slash. */
const restOf = (req: IncomingMessage): string => `/${pathAfterMount(req)}`;

const gatewayMount: MountSpec<MicroGatewayModuleOptions> = {
  token: MICRO_GATEWAY,
  pathOf: restOf,
  firstGuards: [GatewayRouteGuard],
  filters: [GatewayExceptionFilter],
  create: (rest, { mount, client, registry }) =>
    new MicroGateway({ ...rest, basePath: mount ? `/${mount}` : undefined, client, registry }),
};

@Module({})
export class MicroGatewayModule {
  static forRoot(options: MicroGatewayModuleOptions = {}): DynamicModule {
    return mountModule(MicroGatewayModule, gatewayMount, options);
  }
}
