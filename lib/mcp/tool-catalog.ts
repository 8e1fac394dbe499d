/**
 * The tools of the fleet, kept current: read from the registry at start, re-read on every watch
 * event (one refresh at a time; events during a refresh make one more), and `onChange` called when
 * the tool list really changed (a re-registration that changes nothing is silent). If the registry
 * fails, the last known tools stay, with a warning.
 */
import { loggerFor } from '../core/logger.js';
import type { Registry, Service, Watcher } from '../core/registry/registry.js';
import type { MicroMcpOptions } from './mcp.options.js';
import { toolsOf, type McpTool } from './tools.js';

const logger = loggerFor('McpServer');

export class ToolCatalog {
  private tools = new Map<string, McpTool>();
  private signature = '[]';
  private watcher?: Watcher;
  private running?: Promise<void>;
  private again = false;
  private closed = false;
  /** Settles after the first read of the registry (whether or not it succeeded). */
  readonly ready: Promise<void>;

  constructor(
    private readonly registry: Registry,
    private readonly options: Pick<MicroMcpOptions, 'includeDebug' | 'include' | 'scopes'>,
    private readonly onChange: () => void,
  ) {
    this.watcher = registry.watch(() => void this.refresh());
    this.ready = this.refresh();
  }

  list(): McpTool[] {
    return [...this.tools.values()];
  }

  get(name: string): McpTool | undefined {
    return this.tools.get(name);
  }

  /** Re-reads the registry (coalescing with a refresh under way); resolves when it is current. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again && !this.closed);
    };
    const running = run().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  close(): void {
    this.closed = true;
    this.watcher?.stop();
    this.watcher = undefined;
  }

  private async readOnce(): Promise<void> {
    let services: Service[];
    try {
      services = await this.services();
    } catch (error) {
      logger.warn(`registry read failed, keeping the ${this.tools.size} known tools: ${String(error)}`);
      return;
    }
    if (this.closed) return;
    const tools = toolsOf(services, this.options);
    const signature = JSON.stringify(tools);
    if (signature === this.signature) return;
    this.signature = signature;
    this.tools = new Map(tools.map((t) => [t.name, t]));
    this.onChange();
  }

  /** Every version of every service with live nodes, by name. */
  private async services(): Promise<Service[]> {
    const names = [...new Set((await this.registry.listServices()).map((s) => s.name))].toSorted();
    const versions = await Promise.all(names.map((name) => this.registry.getService(name)));
    return versions.flat().filter((s) => s.nodes.length > 0);
  }
}
