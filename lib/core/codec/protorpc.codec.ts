/**
 * application/proto-rpc: go-micro's proto-rpc codec (codec/protorpc). A request or reply is two
 * frames (big-endian uint32 length + bytes): the envelope {service_method, seq[, error]} and then the
 * protobuf body (empty when there is none). A bare message is the protobuf body alone.
 * Schemas, and their absence, are handled as by application/protobuf.
 */
import type { Codec, Decoded, RpcHeader, Schema } from './codec.js';
import { noSchemaError } from './codec-errors.js';
import { decodeProto, encodeProto, isProtoSchema } from './proto-schema.js';
import { decodeEnvelope, encodeEnvelope, readFrames, writeFrames } from './protorpc-envelope.js';

const NAME = 'proto-rpc';

export class ProtoRpcCodec implements Codec {
  readonly name = NAME;
  readonly contentType = 'application/proto-rpc';

  encodeRequest(header: RpcHeader, body: unknown, schema?: Schema): Buffer {
    const envelope = encodeEnvelope('request', { serviceMethod: header.endpoint, seq: header.id });
    return writeFrames([envelope, encodeProto(NAME, 'request', body, schema)]);
  }

  decodeHeader(data: Buffer): Partial<RpcHeader> {
    const [head] = readFrames(NAME, data, 2) as [Buffer, Buffer];
    const envelope = decodeEnvelope(NAME, 'request', head);
    return { id: envelope.seq, endpoint: envelope.serviceMethod };
  }

  decodeRequest(data: Buffer, schema?: Schema): Decoded {
    const [head, payload] = readFrames(NAME, data, 2) as [Buffer, Buffer];
    const envelope = decodeEnvelope(NAME, 'request', head);
    const header: Partial<RpcHeader> = { id: envelope.seq, endpoint: envelope.serviceMethod };
    if (isProtoSchema(schema)) return { body: decodeProto(NAME, payload, schema), header };
    if (payload.length === 0) return { body: undefined, header };
    throw noSchemaError(NAME, 'request');
  }

  encodeResponse(header: RpcHeader, body: unknown, schema?: Schema): Buffer {
    const envelope = encodeEnvelope('response', {
      serviceMethod: header.endpoint,
      seq: header.id,
      error: header.error,
    });
    return writeFrames([envelope, encodeProto(NAME, 'response', body, schema)]);
  }

  decodeResponse(data: Buffer, schema?: Schema): Decoded {
    const [head, payload] = readFrames(NAME, data, 2) as [Buffer, Buffer];
    const envelope = decodeEnvelope(NAME, 'response', head);
    const header: Partial<RpcHeader> = { id: envelope.seq, endpoint: envelope.serviceMethod };
    if (envelope.error) header.error = envelope.error;
    return { body: this.replyBody(payload, schema, Boolean(envelope.error)), header };
  }

  marshal(value: unknown, schema?: Schema): Buffer {
    return encodeProto(NAME, 'message', value, schema);
  }

  unmarshal(data: Buffer, schema?: Schema): unknown {
    if (isProtoSchema(schema)) return decodeProto(NAME, data, schema);
    if (data.length === 0) return undefined;
    throw noSchemaError(NAME, 'message');
  }

  /** A failed call's body is ignored; without a type the raw bytes are handed back. */
  private replyBody(payload: Buffer, schema: Schema, failed: boolean): unknown {
    if (failed) return undefined;
    if (!isProtoSchema(schema)) return payload.length === 0 ? undefined : payload;
    return decodeProto(NAME, payload, schema);
  }
}
