/**
 * The client side of test/support/registry-server: a Registry whose state lives in another
 * process. `watch` is not supported (it returns a watcher that never fires).
 */
import type { RegisterOptions, Registry, Service, Watcher } from '../../lib/core/registry/registry.js';

export class RemoteRegistry implements Registry {
  readonly name = 'remote-test';

  constructor(private readonly url: string) {}

  async register(service: Service, options?: RegisterOptions): Promise<void> {
    await this.call('POST', '/register', { service, options });
  }

  async deregister(service: Service): Promise<void> {
    await this.call('POST', '/deregister', { service });
  }

  getService(name: string): Promise<Service[]> {
    return this.call('GET', `/services/${encodeURIComponent(name)}`) as Promise<Service[]>;
  }

  listServices(): Promise<Service[]> {
    return this.call('GET', '/services') as Promise<Service[]>;
  }

  watch(): Watcher {
    return { stop: () => {} };
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`registry ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }
}
