/**
 * application/json: the payload as bare JSON (go-micro's json codec). Requests and replies are
 * written as Go's json.Encoder writes them — Go's escaping plus a trailing "\n" (turn it off with
 * `{ newline: false }`); bare messages (broker) as json.Marshal does, without the newline. Reading
 * accepts both. Parsing drops `__proto__` keys so a hostile body cannot reach a prototype.
 * A reply with no value (a void handler) is `{}`, as a go-micro server writes its empty response
 * struct: go-micro clients always decode the body and read an empty one as an EOF error.
 */
import type { Codec, Decoded, RpcHeader } from './codec.js';
import { encodeError, type EncodeSide } from './codec-errors.js';
import { errorText } from '../errors/error-text.js';
import { goJson, parseJson } from './go-json.js';

export { parseJson } from './go-json.js';

const EMPTY = Buffer.alloc(0);
const EMPTY_OBJECT = Object.freeze({});

export interface JsonCodecOptions {
  /** Write Go's trailing "\n" after requests and replies (default true, byte-for-byte with go-micro). */
  newline?: boolean;
}

export class JsonCodec implements Codec {
  readonly name = 'json';
  readonly contentType = 'application/json';
  readonly aliases = ['text/json'] as const;
  private readonly newline: boolean;

  constructor(options: JsonCodecOptions = {}) {
    this.newline = options.newline ?? true;
  }

  encodeRequest(_header: RpcHeader, body: unknown): Buffer {
    return this.encode(body, 'request', this.newline);
  }

  decodeRequest(data: Buffer): Decoded {
    return { body: this.unmarshal(data) };
  }

  encodeResponse(_header: RpcHeader, body: unknown): Buffer {
    return this.encode(body === undefined ? EMPTY_OBJECT : body, 'response', this.newline);
  }

  decodeResponse(data: Buffer): Decoded {
    return { body: this.unmarshal(data) };
  }

  marshal(value: unknown): Buffer {
    return this.encode(value, 'message', false);
  }

  unmarshal(data: Buffer): unknown {
    if (data.length === 0) return undefined;
    const text = data.toString('utf8');
    // only a body that starts with whitespace (ASCII or not) can be whitespace alone
    const c = text.charCodeAt(0);
    if ((c <= 0x20 || c >= 0x80) && text.trim() === '') return undefined;
    return parseJson(text);
  }

  private encode(value: unknown, side: EncodeSide, newline: boolean): Buffer {
    let text: string | undefined;
    try {
      text = goJson(value);
    } catch (error) {
      throw encodeError(this.name, side, errorText(error));
    }
    if (text === undefined) return EMPTY;
    return Buffer.from(newline ? text + '\n' : text);
  }
}
