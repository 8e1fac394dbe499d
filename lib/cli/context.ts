/**
 * The plugins one command runs with: registry, selector, transport and broker chosen by the global
 * flags, else by go-micro's MICRO_* variables, built by the library's own resolveOptions (flags are
 * laid over the environment, so they win). `close()` releases every socket, bounded in time, so
 * the process can exit promptly.
 */
import { MicroClient } from '../nest/client/micro.client.js';
import type { RpcCaller } from '../core/client/rpc-caller.js';
import { resolveOptions, type ResolvedOptions } from '../nest/options.js';

export interface GlobalOptions {
  registry?: string;
  registryAddress?: string;
  broker?: string;
  brokerAddress?: string;
  transport?: string;
  verbose?: boolean;
}

/** MICRO_* as the library reads them, with the flags laid over the environment. */
export function cliEnvironment(
  flags: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...env };
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) merged[key] = value;
  };
  set('MICRO_REGISTRY', flags.registry);
  set('MICRO_REGISTRY_ADDRESS', flags.registryAddress);
  set('MICRO_BROKER', flags.broker);
  set('MICRO_BROKER_ADDRESS', flags.brokerAddress);
  set('MICRO_TRANSPORT', flags.transport);
  return merged;
}

const CLOSE_BUDGET_MS = 3_000;

export class CliContext {
  readonly options: ResolvedOptions;
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Set by commands whose normal end is a signal (watch, subscribe). */
  stopIsNormal = false;
  private clientInstance?: MicroClient;
  private brokerUsed = false;

  constructor(flags: GlobalOptions, signal: AbortSignal, env: NodeJS.ProcessEnv = process.env) {
    this.signal = signal;
    this.options = resolveOptions({ name: 'nest-micro-cli' }, cliEnvironment(flags, env));
  }

  get registry() {
    return this.options.registry;
  }

  /** Resolves on SIGINT/SIGTERM, which then ends the command normally (exit code 0). */
  untilStopped(): Promise<void> {
    this.stopIsNormal = true;
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  client(): MicroClient {
    return (this.clientInstance ??= new MicroClient(this.options));
  }

  /** The broker, connected. */
  async broker() {
    this.brokerUsed = true;
    await this.options.broker.connect();
    return this.options.broker;
  }

  /** Releases broker, client connections, selector and registry; gives up after a few seconds. */
  async close(): Promise<void> {
    const o = this.options;
    const steps = async (): Promise<void> => {
      if (this.brokerUsed) await o.broker.disconnect().catch(() => undefined);
      const caller = this.clientInstance?.unwrap<RpcCaller>();
      if (caller) await caller.close();
      o.selector.close();
      await Promise.allSettled([o.transport.close(), o.registry.close?.()]);
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      steps(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_BUDGET_MS).unref())),
    ]);
    clearTimeout(timer);
  }
}

/** Runs one command's action with a fresh context, prints its failure, closes it, exits. */
export type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;
