/**
 * application/octet-stream: raw bytes in and out (go-micro's codec/bytes). Requests, replies and
 * messages are the bytes themselves; decoding yields a Buffer. Encoding anything but a Buffer or
 * Uint8Array is an error (undefined/null, Go's nil, is an empty body).
 */
import type { Codec, Decoded, RpcHeader } from './codec.js';
import { encodeError, type EncodeSide } from './codec-errors.js';

const NAME = 'bytes';

export class BytesCodec implements Codec {
  readonly name = NAME;
  readonly contentType = 'application/octet-stream';

  encodeRequest(_header: RpcHeader, body: unknown): Buffer {
    return toBytes(body, 'request');
  }

  decodeRequest(data: Buffer): Decoded {
    return { body: data };
  }

  encodeResponse(_header: RpcHeader, body: unknown): Buffer {
    return toBytes(body, 'response');
  }

  decodeResponse(data: Buffer): Decoded {
    return { body: data };
  }

  marshal(value: unknown): Buffer {
    return toBytes(value, 'message');
  }

  unmarshal(data: Buffer): unknown {
    return data;
  }
}

function toBytes(value: unknown, side: EncodeSide): Buffer {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const kind = Array.isArray(value) ? 'an array' : typeof value;
  throw encodeError(NAME, side, `application/octet-stream carries a Buffer or Uint8Array, got ${kind}`);
}
