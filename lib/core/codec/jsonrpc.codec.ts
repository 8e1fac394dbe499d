/**
 * application/json-rpc: go-micro's JSON-RPC 1.0 codec (codec/jsonrpc). A request is
 * `{"params":[req],"id":"<id>","method":"Svc.Method"}`, a reply `{"id":"<id>","result":…,"error":null|"text"}`,
 * each written as Go's json.Encoder writes it (trailing "\n"); a void reply's result is `{}`. A bare
 * message is plain JSON.
 */
import type { Codec, Decoded, RpcHeader } from './codec.js';
import { decodeError, encodeError, type EncodeSide } from './codec-errors.js';
import { errorText } from '../errors/error-text.js';
import { goJson, parseJson } from './go-json.js';

const NAME = 'json-rpc';
const EMPTY_OBJECT = Object.freeze({});

export class JsonRpcCodec implements Codec {
  readonly name = NAME;
  readonly contentType = 'application/json-rpc';

  encodeRequest(header: RpcHeader, body: unknown): Buffer {
    // Field order as Go's clientRequest struct: params, id, method.
    return encode({ params: [body ?? null], id: header.id, method: header.endpoint }, 'request', true);
  }

  decodeHeader(data: Buffer): Partial<RpcHeader> {
    return requestHeader(parseEnvelope(data));
  }

  decodeRequest(data: Buffer): Decoded {
    const envelope = parseEnvelope(data);
    const header = requestHeader(envelope);
    const { params } = envelope;
    if (params !== undefined && params !== null && !Array.isArray(params)) {
      throw decodeError(NAME, '"params" must be an array');
    }
    // Go unmarshals params into a one-element array: extra elements are ignored.
    const body = Array.isArray(params) && params.length > 0 ? nullToUndefined(params[0]) : undefined;
    return { body, header };
  }

  encodeResponse(header: RpcHeader, body: unknown): Buffer {
    // Field order as Go's serverResponse struct: id, result, error. A go-micro handler's reply is
    // never nil, so a void one is `{}`; an error reply has no result (null).
    const result = header.error ? null : body === undefined ? EMPTY_OBJECT : body;
    return encode(
      { id: header.id, result: result ?? null, error: header.error ? header.error : null },
      'response',
      true,
    );
  }

  decodeResponse(data: Buffer): Decoded {
    const envelope = parseEnvelope(data);
    const header: Partial<RpcHeader> = { id: idText(envelope.id) };
    const error = envelope.error;
    if (error !== undefined && error !== null) {
      if (typeof error !== 'string') throw decodeError(NAME, `invalid error ${JSON.stringify(error)}`);
      header.error = error === '' ? 'unspecified error' : error;
    }
    return { body: nullToUndefined(envelope.result), header };
  }

  marshal(value: unknown): Buffer {
    return encode(value, 'message', false);
  }

  unmarshal(data: Buffer): unknown {
    if (data.length === 0) return undefined;
    return parseJson(data.toString('utf8'));
  }
}

function encode(value: unknown, side: EncodeSide, newline: boolean): Buffer {
  let text: string | undefined;
  try {
    text = goJson(value);
  } catch (error) {
    throw encodeError(NAME, side, errorText(error));
  }
  if (text === undefined) return Buffer.alloc(0);
  return Buffer.from(newline ? text + '\n' : text);
}

function parseEnvelope(data: Buffer): Record<string, unknown> {
  const text = data.toString('utf8');
  if (text.trim() === '') throw decodeError(NAME, 'empty body, expected a JSON-RPC object');
  const value = parseJson(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw decodeError(NAME, 'expected a JSON-RPC object');
  }
  return value as Record<string, unknown>;
}

function requestHeader(envelope: Record<string, unknown>): Partial<RpcHeader> {
  const { method } = envelope;
  if (method !== undefined && method !== null && typeof method !== 'string') {
    throw decodeError(NAME, '"method" must be a string');
  }
  const header: Partial<RpcHeader> = { id: idText(envelope.id) };
  if (typeof method === 'string') header.endpoint = method;
  return header;
}

/** The id as Go prints it with %v; structured ids are refused. */
function idText(id: unknown): string {
  if (id === undefined || id === null) return '';
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'boolean') return String(id);
  throw decodeError(NAME, '"id" must be a string or a number');
}

function nullToUndefined(value: unknown): unknown {
  return value === null ? undefined : value;
}
