/**
 * The set of codecs a server or client knows, looked up by Content-Type. An unknown type is an
 * UnsupportedMediaType (415) MicroError that lists the supported ones.
 */
import { MicroError } from '../errors/micro-error.js';
import { mediaType, type Codec } from './codec.js';
import { ERROR_ID } from '../errors/ids.js';

const PROTOBUF = 'application/protobuf';

export class Codecs {
  private readonly byType = new Map<string, Codec>();
  readonly default: Codec;
  /**
   * The type a server reads a request or event without Content-Type as: application/protobuf, as a
   * go-micro server does (server/rpc_codec.go DefaultContentType), when that codec is present.
   */
  readonly unlabelled: string;

  constructor(codecs: Codec[]) {
    if (codecs.length === 0) throw new Error('nest-micro: at least one codec is required');
    this.default = codecs[0]!;
    for (const codec of codecs) {
      for (const type of [codec.contentType, ...(codec.aliases ?? [])]) {
        if (!this.byType.has(type)) this.byType.set(type, codec);
      }
    }
    this.unlabelled = this.byType.has(PROTOBUF) ? PROTOBUF : this.default.contentType;
  }

  /** The codec for a Content-Type; an empty one means the default. */
  get(contentType: string | undefined): Codec {
    const type = mediaType(contentType);
    if (!type) return this.default;
    const codec = this.byType.get(type);
    if (codec) return codec;
    throw MicroError.unsupportedMediaType(
      ERROR_ID.server,
      `unsupported Content-Type "${type}"; supported: ${this.types().join(', ')}`,
    );
  }

  types(): string[] {
    return [...this.byType.keys()];
  }
}
