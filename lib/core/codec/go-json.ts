/**
 * JSON exactly as Go's encoding/json writes it, and hostile-input-safe parsing.
 *
 * - `goJson`: JSON.stringify plus Go's default HTML escaping (`<` `>` `&` U+2028 U+2029 as \uXXXX),
 *   so bytes match go-micro's. Those characters only occur inside JSON strings, so a global replace
 *   is exact. `undefined` (Go's nil) encodes to nothing.
 * - `parseJson`: JSON.parse that never yields `__proto__` keys (including escaped spellings such as
 *   "\u005f_proto__") and reports bad input as a BadRequest (400) MicroError.
 */
import { MicroError } from '../errors/micro-error.js';
import { CODEC_ERROR_ID } from './codec-errors.js';
import { errorText } from '../errors/error-text.js';

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const GO_ESCAPED = /[<>&\u2028\u2029]/g;

/** Go's json.Marshal output for `value`, or undefined when there is nothing to write. Throws TypeError (cycles, BigInt). */
export function goJson(value: unknown): string | undefined {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) return undefined;
  GO_ESCAPED.lastIndex = 0;
  return GO_ESCAPED.test(text) ? text.replace(GO_ESCAPED, (c) => GO_ESCAPES[c]!) : text;
}

/** JSON.parse that refuses to create `__proto__` keys and reports bad input as BadRequest. */
export function parseJson(text: string, id = CODEC_ERROR_ID): unknown {
  try {
    // An escaped key (\u....) may spell __proto__ too, so any escape takes the careful path.
    return text.includes('__proto__') || text.includes('\\u')
      ? JSON.parse(text, dropProtoKeys)
      : JSON.parse(text);
  } catch (error) {
    throw MicroError.badRequest(id, `invalid JSON body: ${errorText(error)}`);
  }
}

function dropProtoKeys(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}
