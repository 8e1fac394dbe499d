/**
 * go-micro's proto-rpc framing (codec/protorpc): the envelope messages of envelope.proto, encoded
 * with protobufjs, and the netstring frames (big-endian uint32 length, then the bytes) that carry
 * the envelope and then the body.
 *
 * Call ids travel as `fixed64 seq`; like go-micro (strconv.ParseInt, then uint64), an id that is not
 * a decimal int64 is sent as 0, and a negative one wraps to its two's complement.
 */
import type protobuf from 'protobufjs';
import { protobufjs } from '../drivers.js';
import { decodeError } from './codec-errors.js';
import { errorText } from '../errors/error-text.js';

/** envelope.proto as protobufjs JSON. */
const ENVELOPE_PROTO = {
  nested: {
    protorpc: {
      nested: {
        Request: {
          fields: { service_method: { type: 'string', id: 1 }, seq: { type: 'fixed64', id: 2 } },
        },
        Response: {
          fields: {
            service_method: { type: 'string', id: 1 },
            seq: { type: 'fixed64', id: 2 },
            error: { type: 'string', id: 3 },
          },
        },
      },
    },
  },
};

/** The envelope's message types, built on first use (protobufjs loads only for proto-rpc). */
let types: { request: protobuf.Type; response: protobuf.Type } | undefined;
const envelopeType = (kind: 'request' | 'response'): protobuf.Type => (types ??= envelopeTypes())[kind];

function envelopeTypes(): { request: protobuf.Type; response: protobuf.Type } {
  const root = protobufjs().Root.fromJSON(ENVELOPE_PROTO);
  return { request: root.lookupType('protorpc.Request'), response: root.lookupType('protorpc.Response') };
}

export interface Envelope {
  serviceMethod: string;
  /** The seq as an unsigned decimal string. */
  seq: string;
  error: string;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** go-micro's id(): ParseInt(id, 10, 64) as uint64, 0 when it does not parse. */
export function seqOf(id: string): bigint {
  if (!/^[+-]?\d+$/.test(id)) return 0n;
  const n = BigInt(id);
  return n < INT64_MIN || n > INT64_MAX ? 0n : BigInt.asUintN(64, n);
}

export function encodeEnvelope(kind: 'request' | 'response', envelope: Partial<Envelope>): Buffer {
  const seq = seqOf(envelope.seq ?? '');
  // proto3: zero values are not written, as Go's proto.Marshal does.
  const fields: Record<string, unknown> = {};
  if (envelope.serviceMethod) fields.service_method = envelope.serviceMethod;
  if (seq !== 0n)
    fields.seq = { low: Number(seq & 0xffffffffn) | 0, high: Number(seq >> 32n) | 0, unsigned: true };
  if (kind === 'response' && envelope.error) fields.error = envelope.error;
  const type = envelopeType(kind);
  return Buffer.from(type.encode(fields).finish());
}

export function decodeEnvelope(codec: string, kind: 'request' | 'response', data: Buffer): Envelope {
  const type = envelopeType(kind);
  let message: { service_method?: string; seq?: unknown; error?: string };
  try {
    message = type.decode(data) as typeof message;
  } catch (error) {
    throw decodeError(codec, `invalid ${kind} header: ${errorText(error)}`);
  }
  return {
    serviceMethod: message.service_method ?? '',
    // fixed64 decodes to an unsigned Long (or a number without the long package).
    seq: message.seq === undefined || message.seq === null ? '0' : String(message.seq),
    error: message.error ?? '',
  };
}

/** Frames `parts`, each as a big-endian uint32 length followed by its bytes. */
export function writeFrames(parts: Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const part of parts) {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(part.length, 0);
    out.push(length, part);
  }
  return Buffer.concat(out);
}

/** Exactly `count` frames from `data`; anything short, long or left over is a BadRequest. */
export function readFrames(codec: string, data: Buffer, count: number): Buffer[] {
  const frames: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (data.length - offset < 4)
      throw decodeError(codec, `truncated body: frame ${i + 1} of ${count} is missing`);
    const length = data.readUInt32BE(offset);
    offset += 4;
    if (data.length - offset < length) {
      throw decodeError(
        codec,
        `truncated body: frame ${i + 1} declares ${length} bytes, ${data.length - offset} left`,
      );
    }
    frames.push(data.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== data.length)
    throw decodeError(codec, `${data.length - offset} unexpected bytes after the last frame`);
  return frames;
}
