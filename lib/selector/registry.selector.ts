/**
 * The default selector: looks services up in a registry (put a cache in front of it for a
 * lookup-free hot path), applies filters, then a strategy. A service no registry knows is a
 * NotFound MicroError, raised before any network call.
 */
import { MicroError } from '../errors/micro-error.js';
import type { Node } from '../registry/registry.js';
import { random } from './random.strategy.js';
import type { Next, SelectOptions, Selector, SelectorOptions } from './selector.js';

export class RegistrySelector implements Selector {
  readonly name = 'registry';

  constructor(private readonly options: SelectorOptions) {}

  async select(service: string, options: SelectOptions = {}): Promise<Next> {
    let services = await this.options.registry.getService(service);
    if (services.length === 0) {
      throw MicroError.notFound('go.micro.client', `service ${service}: not found`);
    }
    for (const filter of this.options.filters ?? []) services = filter(services);
    for (const filter of options.filters ?? []) services = filter(services);
    const strategy = options.strategy ?? this.options.strategy ?? random;
    return strategy(services, service);
  }

  mark(_service: string, _node: Node, _error?: unknown): void {}

  reset(_service: string): void {}

  close(): void {}
}
