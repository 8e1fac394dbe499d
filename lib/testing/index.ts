/**
 * nest-micro/testing: run services and clients in a test without sockets, as go-micro tests do
 * with its memory registry, broker and transport. MicroTestingModule (MicroModule on a test
 * network), testingOptions() for forRoot/forRootAsync, MicroTestNetwork to keep tests apart, and
 * the in-memory pieces themselves for tests of the core without Nest.
 */
export { MicroTestingModule } from './testing.module.js';
export { defaultTestNetwork, MicroTestNetwork, testingOptions } from './testing.network.js';
export { MemoryTransport } from '../core/transport/memory/memory.transport.js';
export { MemoryRegistry } from '../core/registry/memory.registry.js';
export { MemoryBroker, type MemoryBrokerOptions } from '../core/broker/memory.broker.js';
