/** greeter.Request / greeter.Response from sample/proto/greeter.proto, for the protobuf runs. */
import { loadProtoSync, protoType } from 'nest-micro/codec';
import { repoRoot } from '../paths.js';

// from the repository root: the .proto is not compiled into dist/
const root = loadProtoSync(`${repoRoot}/sample/proto/greeter.proto`);
export const GreeterProto = {
  request: protoType(root, 'greeter.Request'),
  response: protoType(root, 'greeter.Response'),
};
