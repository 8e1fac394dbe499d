/**
 * Codec: how a message body is encoded, chosen by Content-Type (go-micro's codec). Plain codecs
 * (json, proto, bytes) encode the payload alone; RPC framing codecs (json-rpc, proto-rpc) wrap it
 * with the call's id and method (and the error on a reply), so the interface carries that header.
 */

/** The RPC envelope a framing codec writes or reads beside the payload. */
export interface RpcHeader {
  /** Call id (go-micro's seq / Micro-Id). */
  id: string;
  /** "Service.Method". */
  endpoint: string;
  /** An error text on a reply (framing codecs only). */
  error?: string;
}

export interface Decoded {
  body: unknown;
  /** What a framing codec found in its envelope. */
  header?: Partial<RpcHeader>;
}

/**
 * A schema a codec may need to (de)serialise: for protobuf, the message type (a protobufjs Type);
 * JSON codecs ignore it.
 */
export type Schema = unknown;

export interface Codec {
  /** Implementation name, e.g. "json". */
  readonly name: string;
  /** The Content-Type this codec answers to first; `aliases` lists others it also reads. */
  readonly contentType: string;
  readonly aliases?: readonly string[];

  encodeRequest(header: RpcHeader, body: unknown, schema?: Schema): Buffer;
  /**
   * Framing codecs only: the envelope of a request without decoding its payload, so a server can
   * route on the endpoint (and answer with the id) before it knows the handler's schema.
   * Throws a BadRequest (400) MicroError when the envelope is not valid.
   */
  decodeHeader?(data: Buffer): Partial<RpcHeader>;
  /** Throws a BadRequest (400) MicroError when `data` is not valid for this codec. */
  decodeRequest(data: Buffer, schema?: Schema): Decoded;
  encodeResponse(header: RpcHeader, body: unknown, schema?: Schema): Buffer;
  decodeResponse(data: Buffer, schema?: Schema): Decoded;

  /** A bare payload (broker messages, stream messages). */
  marshal(value: unknown, schema?: Schema): Buffer;
  unmarshal(data: Buffer, schema?: Schema): unknown;
}

/** The media type of a Content-Type header, lower-cased, parameters dropped. */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}
