/**
 * What the interop suites share about the Greeter both peers serve: its protobuf types (from the Go
 * peer's proto), the four codecs the matrix runs, the options a nest-micro call needs per codec, and
 * the one-line skip reason of a suite.
 */
import { fileURLToPath } from 'node:url';
import { loadProtoSync, protoType } from '../../../lib/core/codec/index.js';

export const CODECS = [
  'application/json',
  'application/protobuf',
  'application/json-rpc',
  'application/proto-rpc',
] as const;
export type ContentType = (typeof CODECS)[number];
export const isProto = (ct: string): boolean => ct.startsWith('application/proto');

const proto = loadProtoSync(fileURLToPath(new URL('../go/proto/greeter.proto', import.meta.url)));

/** greeter.<name>, a message type of the Go peer's proto. */
export const greeterType = (name: string): unknown => protoType(proto, `greeter.${name}`);

/** The protobuf types of an endpoint: greeter.Request in, greeter.<response> out. */
export const greeterTypes = (response = 'Response'): { request: unknown; response: unknown } => ({
  request: greeterType('Request'),
  response: greeterType(response),
});

/** A nest-micro call's codec options: the protobuf codecs also need the endpoint's message types. */
export const codecOptions = (
  ct: string,
  response = 'Response',
): { contentType: string; protobuf?: { request: unknown; response: unknown } } =>
  isProto(ct) ? { contentType: ct, protobuf: greeterTypes(response) } : { contentType: ct };

/** A suite title's skip reasons, joined (empty when nothing is missing). */
export const why = (...reasons: string[]): string => reasons.filter(Boolean).join('; ');
