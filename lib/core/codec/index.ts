/**
 * nest-micro/codec: codecs by Content-Type (go-micro's "dynamic encoding based on content-type"):
 * the Codec interface, the JSON, JSON-RPC, protobuf, proto-RPC and bytes codecs, the protobuf
 * helpers handlers use to declare their message types, and `defaultCodecs()`.
 */
import type { Codec } from './codec.js';
import { BytesCodec } from './bytes.codec.js';
import { JsonCodec } from './json.codec.js';
import { JsonRpcCodec } from './jsonrpc.codec.js';
import { ProtoCodec } from './proto.codec.js';
import { ProtoRpcCodec } from './protorpc.codec.js';

export type { Codec, Decoded, RpcHeader, Schema } from './codec.js';
export { Codecs } from './codecs.js';
export { CODEC_ERROR_ID } from './codec-errors.js';
export { JsonCodec, type JsonCodecOptions } from './json.codec.js';
export { JsonRpcCodec } from './jsonrpc.codec.js';
export { ProtoCodec } from './proto.codec.js';
export { ProtoRpcCodec } from './protorpc.codec.js';
export { BytesCodec } from './bytes.codec.js';
export type { ProtoSchema } from './proto-schema.js';
export { loadProto, loadProtoSync, parseProto, protoType, type LoadProtoOptions } from './proto-loader.js';

/** All five codecs, JSON first (the client's default, as in go-micro v5+). */
export function defaultCodecs(): Codec[] {
  return [new JsonCodec(), new JsonRpcCodec(), new ProtoCodec(), new ProtoRpcCodec(), new BytesCodec()];
}
