import { rpcSuite } from './rpc.suite.js';

rpcSuite('tcp');
