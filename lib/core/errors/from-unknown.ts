/**
 * Turns whatever a handler, a Nest layer or a transport threw into a MicroError, keeping codes:
 * MicroError as is, Nest HttpException by its status, RpcException by its payload, plain Error → 500.
 */
import { HttpException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { MicroError } from './micro-error.js';

/** Messages Nest's RPC layer produces itself, mapped back to the code they mean. */
const NEST_RPC_MESSAGES: Record<string, number> = { 'Forbidden resource': 403 };

export function toMicroError(error: unknown, id: string): MicroError {
  if (error instanceof MicroError) return error;
  if (error instanceof HttpException) {
    return new MicroError(id, httpExceptionDetail(error), error.getStatus());
  }
  if (error instanceof RpcException) {
    const payload = error.getError();
    if (typeof payload === 'string') return new MicroError(id, payload, NEST_RPC_MESSAGES[payload] ?? 500);
    const rebuilt = MicroError.fromObject(payload);
    if (rebuilt) return rebuilt.id ? rebuilt : withId(rebuilt, id);
    return new MicroError(id, objectDetail(payload), 500);
  }
  if (error instanceof Error) return new MicroError(id, error.message, 500);
  if (typeof error === 'string') return new MicroError(id, error, 500);
  const rebuilt = MicroError.fromObject(error);
  if (rebuilt) return rebuilt.id ? rebuilt : withId(rebuilt, id);
  return new MicroError(id, objectDetail(error), 500);
}

function withId(error: MicroError, id: string): MicroError {
  return new MicroError(id, error.detail, error.code, error.status, error.retryable);
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return error.message;
}

function objectDetail(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
