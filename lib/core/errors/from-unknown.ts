/**
 * Turns whatever a handler or a transport threw into a MicroError, keeping codes: MicroError as
 * is, anything shaped like one ({id, code, detail, status}) rebuilt, plain Error or text → 500.
 * The Nest layer adds Nest's exceptions on top (lib/nest/errors.ts).
 */
import { MicroError } from './micro-error.js';

export function toMicroError(error: unknown, id: string): MicroError {
  if (error instanceof MicroError) return error;
  if (error instanceof Error) return new MicroError(id, error.message, 500);
  if (typeof error === 'string') return new MicroError(id, error, 500);
  return fromPayload(error, id);
}

/** An error payload (an object, or text): rebuilt when shaped like a MicroError, else a 500. */
export function fromPayload(payload: unknown, id: string, code = 500): MicroError {
  if (typeof payload === 'string') return new MicroError(id, payload, code);
  const rebuilt = MicroError.fromObject(payload);
  if (rebuilt) return rebuilt.id ? rebuilt : withId(rebuilt, id);
  return new MicroError(id, objectDetail(payload), code);
}

function withId(error: MicroError, id: string): MicroError {
  return new MicroError(id, error.detail, error.code, error.status, error.retryable);
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
