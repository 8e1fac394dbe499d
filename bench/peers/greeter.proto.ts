/** greeter.Request / greeter.Response from sample/proto/greeter.proto, for the protobuf runs. */
import { fileURLToPath } from 'node:url';
import { loadProtoSync, protoType } from '../../lib/core/codec/index.js';

const root = loadProtoSync(fileURLToPath(new URL('../../sample/proto/greeter.proto', import.meta.url)));
export const GreeterProto = {
  request: protoType(root, 'greeter.Request'),
  response: protoType(root, 'greeter.Response'),
};
