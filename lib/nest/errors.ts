/**
 * Nest's exceptions in go-micro's error model, both ways. Into a MicroError (what the dispatchers
 * and the exception filter send back): a Nest HttpException by its status, an RpcException by its
 * payload, anything else as the core's toMicroError does. Out of one (for Nest's own RPC
 * transports, whose default filter passes on only RpcExceptions): an RpcException carrying it.
 */
import { HttpException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { fromPayload, toMicroError as coreToMicroError } from '../core/errors/from-unknown.js';
import { MicroError } from '../core/errors/micro-error.js';

/** Messages Nest's RPC layer produces itself, mapped back to the code they mean. */
const NEST_RPC_MESSAGES: Record<string, number> = { 'Forbidden resource': 403 };

export function toMicroError(error: unknown, id: string): MicroError {
  if (error instanceof MicroError) return error;
  if (error instanceof HttpException) {
    return new MicroError(id, httpExceptionDetail(error), error.getStatus());
  }
  if (error instanceof RpcException) {
    const payload = error.getError();
    return fromPayload(payload, id, typeof payload === 'string' ? (NEST_RPC_MESSAGES[payload] ?? 500) : 500);
  }
  return coreToMicroError(error, id);
}

/** A MicroError as Nest's RPC layer expects an error to pass: an RpcException of its JSON. */
export function toRpcException(error: MicroError): RpcException {
  return new RpcException(error.toJSON());
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return error.message;
}
