/**
 * Loading `.proto` files and looking up message types, so a handler can declare its protobuf
 * request/response types: `protoType(await loadProto('greeter.proto'), 'greeter.Request')`.
 * Field names become lowerCamelCase (protobuf's JSON names) unless `keepCase` is set.
 * Failures are InternalServerError (500) MicroErrors: they are the service's configuration.
 */
import type protobuf from 'protobufjs';
import { protobufjs } from '../drivers.js';
import { MicroError } from '../errors/micro-error.js';
import { CODEC_ERROR_ID } from './codec-errors.js';
import { errorText } from '../errors/error-text.js';

export interface LoadProtoOptions {
  /** Keep field names as written in the .proto (default false: lowerCamelCase). */
  keepCase?: boolean;
}

/** Parses one or more .proto files (and their imports). */
export async function loadProto(
  path: string | string[],
  options: LoadProtoOptions = {},
): Promise<protobuf.Root> {
  try {
    return await new (protobufjs().Root)().load(path, { keepCase: options.keepCase ?? false });
  } catch (error) {
    throw loadError(path, error);
  }
}

/** `loadProto` for module initialisation code that cannot await. */
export function loadProtoSync(path: string | string[], options: LoadProtoOptions = {}): protobuf.Root {
  try {
    return new (protobufjs().Root)().loadSync(path, { keepCase: options.keepCase ?? false });
  } catch (error) {
    throw loadError(path, error);
  }
}

/** Parses .proto source text, e.g. embedded in code. */
export function parseProto(source: string, options: LoadProtoOptions = {}): protobuf.Root {
  try {
    return protobufjs().parse(source, { keepCase: options.keepCase ?? false }).root;
  } catch (error) {
    throw MicroError.internalServerError(CODEC_ERROR_ID, `cannot parse .proto source: ${errorText(error)}`);
  }
}

/** The message type `name` ("package.Message") in `root`. */
export function protoType(root: protobuf.Root, name: string): protobuf.Type {
  try {
    return root.lookupType(name);
  } catch (error) {
    throw MicroError.internalServerError(
      CODEC_ERROR_ID,
      `no protobuf message type "${name}": ${errorText(error)}`,
    );
  }
}

function loadError(path: string | string[], error: unknown): MicroError {
  const files = Array.isArray(path) ? path.join(', ') : path;
  return MicroError.internalServerError(CODEC_ERROR_ID, `cannot load ${files}: ${errorText(error)}`);
}
