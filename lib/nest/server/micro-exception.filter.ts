/**
 * MicroExceptionFilter: the lowest-priority (global) filter that keeps errors typed. For
 * nest-micro calls it turns whatever a handler, pipe or guard threw into a MicroError that keeps
 * its code, id and detail (Nest's default would flatten it to "Internal server error"); for
 * other RPC transports (a MicroError passed on as an RpcException of its JSON) and for HTTP it
 * defers to Nest's own default filters.
 * MicroModule installs it as APP_FILTER; user filters (method, class, global) still run first.
 */
import { Catch, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { MicroError } from '../../core/errors/micro-error.js';
import { toMicroError, toRpcException } from '../errors.js';
import { MicroContext } from './micro-context.js';

@Catch()
export class MicroExceptionFilter extends BaseExceptionFilter {
  private static readonly log = new Logger('MicroServer');
  private readonly rpcDefault = new BaseRpcExceptionFilter();

  override catch(exception: unknown, host: ArgumentsHost): Observable<unknown> | void {
    if (host.getType() !== 'rpc') return super.catch(exception, host);
    const context = host.switchToRpc().getContext<unknown>();
    if (!(context instanceof MicroContext)) {
      // Nest's default passes on RpcExceptions only; a MicroError keeps its JSON as one
      return this.rpcDefault.catch(
        exception instanceof MicroError ? toRpcException(exception) : exception,
        host,
      );
    }
    const error = toMicroError(exception, context.getService());
    if (error.code >= 500 && !(exception instanceof Error && error === exception)) {
      MicroExceptionFilter.log.error(
        `${context.getEndpoint()}: ${error.detail}`,
        (exception as Error)?.stack,
      );
    }
    return throwError(() => error);
  }
}
