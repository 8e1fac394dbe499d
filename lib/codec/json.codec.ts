/**
 * application/json: the payload as bare JSON (go-micro's json codec). Parsing drops `__proto__`
 * keys so a hostile body cannot reach an object's prototype through later merges.
 */
import { MicroError } from '../errors/micro-error.js';
import type { Codec, Decoded, RpcHeader } from './codec.js';

const EMPTY = Buffer.alloc(0);

export class JsonCodec implements Codec {
  readonly name = 'json';
  readonly contentType = 'application/json';
  readonly aliases = ['text/json'] as const;

  encodeRequest(_header: RpcHeader, body: unknown): Buffer {
    return this.marshal(body);
  }

  decodeRequest(data: Buffer): Decoded {
    return { body: this.unmarshal(data) };
  }

  encodeResponse(_header: RpcHeader, body: unknown): Buffer {
    return this.marshal(body);
  }

  decodeResponse(data: Buffer): Decoded {
    return { body: this.unmarshal(data) };
  }

  marshal(value: unknown): Buffer {
    if (value === undefined) return EMPTY;
    return Buffer.from(JSON.stringify(value));
  }

  unmarshal(data: Buffer): unknown {
    if (data.length === 0) return undefined;
    return parseJson(data.toString('utf8'));
  }
}

/** JSON.parse that refuses to create `__proto__` keys and reports bad input as BadRequest. */
export function parseJson(text: string): unknown {
  try {
    return text.includes('__proto__') ? JSON.parse(text, dropProtoKeys) : JSON.parse(text);
  } catch (error) {
    throw MicroError.badRequest('go.micro.codec', `invalid JSON body: ${(error as Error).message}`);
  }
}

function dropProtoKeys(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}
