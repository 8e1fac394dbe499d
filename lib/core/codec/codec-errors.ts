/**
 * The MicroErrors codecs throw, in one place so every codec fails the same way:
 * undecodable input is a BadRequest (400); a value that cannot be encoded is the caller's fault
 * on the request side (400) and the handler's on the response side (500); a protobuf body with no
 * declared message type is an UnsupportedMediaType (415).
 */
import { MicroError } from '../errors/micro-error.js';
import { ERROR_ID } from '../errors/ids.js';

export const CODEC_ERROR_ID = ERROR_ID.codec;

/** Which side produced the value being encoded. */
export type EncodeSide = 'request' | 'response' | 'message';

export function decodeError(codec: string, detail: string): MicroError {
  return MicroError.badRequest(CODEC_ERROR_ID, `${codec}: ${detail}`);
}

export function encodeError(codec: string, side: EncodeSide, detail: string): MicroError {
  const text = `${codec}: cannot encode ${side}: ${detail}`;
  return side === 'response'
    ? MicroError.internalServerError(CODEC_ERROR_ID, text)
    : MicroError.badRequest(CODEC_ERROR_ID, text);
}

export function noSchemaError(codec: string, what: string): MicroError {
  return MicroError.unsupportedMediaType(
    CODEC_ERROR_ID,
    `${codec}: the handler declares no protobuf ${what} type; declare one or use application/json`,
  );
}
