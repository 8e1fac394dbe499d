/**
 * The three nodes of a chaos scenario: node processes (bench/chaos/node.ts) started on the chosen
 * registry, each known by its pid and the address it announced; killed, stopped, stalled and
 * restarted by pid. Every node is stopped when the scenario ends.
 */
import { startProcess, waitFor, type Started } from '../../test/support/processes.js';

export interface RegistryChoice {
  /** "mdns" (on 127.0.0.1) or "consul". */
  kind: 'mdns' | 'consul';
  /** MICRO_REGISTRY_ADDRESS: the mDNS interface, or the Consul agent's host:port. */
  address: string;
}

export interface FleetNode {
  proc: Started;
  address: string;
}

const NODE = 'bench/chaos/node.ts';

export class Fleet {
  readonly nodes: FleetNode[] = [];
  private readonly everyProcess: Started[] = [];

  constructor(
    private readonly registry: RegistryChoice,
    readonly service: string,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Starts one more node (with extra environment) and resolves once it announced itself. */
  async add(extra: Record<string, string> = {}): Promise<FleetNode> {
    const proc = startProcess(process.execPath, ['--import', './scripts/register-ts.mjs', NODE], {
      MICRO_REGISTRY: this.registry.kind,
      MICRO_REGISTRY_ADDRESS: this.registry.address,
      CHAOS_SERVICE: this.service,
      ...this.env,
      ...extra,
    });
    this.everyProcess.push(proc);
    await waitFor(
      () => {
        if (proc.child.exitCode !== null) throw new Error(`node exited:\n${proc.output()}`);
        return /node ready (\S+)/.test(proc.output());
      },
      60_000,
      'chaos node ready',
    ).catch((error: Error) => {
      throw new Error(`${error.message}:\n${proc.output().slice(-2_000)}`, { cause: error });
    });
    const node = { proc, address: /node ready (\S+)/.exec(proc.output())![1]! };
    this.nodes.push(node);
    return node;
  }

  /** Removes a node from the fleet's list (after killing or stopping it). */
  forget(node: FleetNode): void {
    this.nodes.splice(this.nodes.indexOf(node), 1);
  }

  signal(node: FleetNode, signal: NodeJS.Signals): void {
    try {
      process.kill(node.proc.pid, signal);
    } catch (error) {
      throw new Error(
        `${signal} to node ${node.address}: ${String(error)}\n${node.proc.output().slice(-2_000)}`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    for (const proc of this.everyProcess) {
      try {
        process.kill(proc.pid, 'SIGCONT');
      } catch {
        /* gone already */
      }
    }
    await Promise.all(this.everyProcess.map((proc) => proc.stop('SIGKILL')));
  }
}
