/**
 * A test network: one memory registry and one memory broker that the services and clients of a
 * test share, and `options()` that wires a MicroModule to them with the in-memory transport. No
 * socket is opened, and nothing from the environment (MICRO_*) is read, so a test behaves the same
 * on every machine. Registrations and subscriptions are process-local: tests in one process that
 * should not see each other use a network each.
 */
import { MemoryBroker } from '../core/broker/memory.broker.js';
import { MemoryRegistry } from '../core/registry/memory.registry.js';
import { MemoryTransport } from '../core/transport/memory/memory.transport.js';
import type { MicroOptions } from '../nest/options.js';
import { ModuleBroker } from './module-broker.js';
import { ModuleRegistry } from './module-registry.js';

/** MicroModule's defaults that make a test wait on timers; the memory transport needs none of them. */
const FAST: MicroOptions = { propagationDelay: 0, drainTimeout: 1_000 };

export class MicroTestNetwork {
  /** The registry and broker every module of the network shares, each through a view of its own. */
  readonly registry = new MemoryRegistry();
  readonly broker = new MemoryBroker();

  /**
   * Options for `MicroModule.forRoot` (or `MicroTestingModule.forRoot`): `options` over the memory
   * registry and broker and a memory transport of their own, with no env overrides and no
   * propagation delay on shutdown. A module closing drops only its own subscriptions and watches.
   */
  options(options: MicroOptions = {}): MicroOptions {
    return {
      ...FAST,
      registry: new ModuleRegistry(this.registry),
      broker: new ModuleBroker(this.broker),
      transport: new MemoryTransport(),
      ...options,
      env: false,
    };
  }
}

let shared: MicroTestNetwork | undefined;

/** The process's default test network, made on first use. */
export function defaultTestNetwork(): MicroTestNetwork {
  return (shared ??= new MicroTestNetwork());
}

/** `MicroModule.forRoot` options for tests, on `network` (default: the process's test network). */
export function testingOptions(options: MicroOptions = {}, network = defaultTestNetwork()): MicroOptions {
  return network.options(options);
}
