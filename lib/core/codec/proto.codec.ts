/**
 * application/protobuf: the payload as raw protobuf bytes (go-micro's codec/proto), through
 * protobufjs with the message type the handler declares (the `schema`).
 *
 * Without a declared type: an empty body decodes to nothing; a non-empty request or message is an
 * UnsupportedMediaType (415) saying the handler declares no protobuf type; a reply is handed back as
 * the raw bytes (a Buffer) for the caller to decode, so nothing the server sent is lost. Encoding
 * without a type works for protobufjs message instances and already-encoded bytes.
 */
import type { Codec, Decoded, RpcHeader, Schema } from './codec.js';
import { noSchemaError } from './codec-errors.js';
import { decodeProto, encodeProto, isProtoSchema } from './proto-schema.js';

const NAME = 'proto';

export class ProtoCodec implements Codec {
  readonly name = NAME;
  readonly contentType = 'application/protobuf';
  /** go-micro's grpc codecs also read application/proto; application/x-protobuf is the common spelling. */
  readonly aliases = ['application/proto', 'application/x-protobuf'] as const;

  encodeRequest(_header: RpcHeader, body: unknown, schema?: Schema): Buffer {
    return encodeProto(NAME, 'request', body, schema);
  }

  decodeRequest(data: Buffer, schema?: Schema): Decoded {
    return { body: this.decode(data, schema, 'request') };
  }

  encodeResponse(_header: RpcHeader, body: unknown, schema?: Schema): Buffer {
    return encodeProto(NAME, 'response', body, schema);
  }

  decodeResponse(data: Buffer, schema?: Schema): Decoded {
    if (!isProtoSchema(schema)) return { body: data.length === 0 ? undefined : data };
    return { body: decodeProto(NAME, data, schema) };
  }

  marshal(value: unknown, schema?: Schema): Buffer {
    return encodeProto(NAME, 'message', value, schema);
  }

  unmarshal(data: Buffer, schema?: Schema): unknown {
    return this.decode(data, schema, 'message');
  }

  private decode(data: Buffer, schema: Schema, what: string): unknown {
    if (isProtoSchema(schema)) return decodeProto(NAME, data, schema);
    if (data.length === 0) return undefined;
    throw noSchemaError(NAME, what);
  }
}
