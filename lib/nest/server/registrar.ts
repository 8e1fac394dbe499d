/**
 * The registration lifecycle of one node: register on start (3 attempts with backoff, then a clear
 * failure), re-register every `registerInterval` with `registerTTL`, deregister on stop. A failed
 * re-register is logged and retried at the next tick, so a registry that comes back gets the node
 * back within one interval.
 */
import { Logger } from '@nestjs/common';
import type { Registry, Service } from '../../core/registry/registry.js';
import { errorText } from '../../core/errors/error-text.js';

export interface RegistrarOptions {
  registry: Registry;
  service: Service;
  interval: number;
  ttl: number;
  attempts?: number;
  backoff?: (attempt: number) => number;
}

export class Registrar {
  private readonly logger = new Logger('Registrar');
  private timer?: NodeJS.Timeout;
  private registered = false;

  constructor(private readonly options: RegistrarOptions) {}

  async start(): Promise<void> {
    const attempts = this.options.attempts ?? 3;
    const backoff = this.options.backoff ?? ((n: number) => 100 * 2 ** (n - 1));
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.options.registry.register(this.options.service, { ttl: this.options.ttl });
        this.registered = true;
        this.schedule();
        return;
      } catch (error) {
        lastError = error;
        if (attempt < attempts) await new Promise((r) => setTimeout(r, backoff(attempt)));
      }
    }
    const { name } = this.options.service;
    throw new Error(
      `nest-micro: could not register ${name} with the ${this.options.registry.name} registry after ${attempts} attempts: ${errorText(lastError)}`,
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.registered) return;
    this.registered = false;
    try {
      await this.options.registry.deregister(this.options.service);
    } catch (error) {
      this.logger.warn(`deregister of ${this.options.service.name} failed: ${errorText(error)}`);
    }
  }

  private schedule(): void {
    if (this.options.interval <= 0) return;
    this.timer = setInterval(() => {
      this.options.registry
        .register(this.options.service, { ttl: this.options.ttl })
        .catch((error: unknown) => {
          this.logger.warn(
            `re-register of ${this.options.service.name} failed (retrying next interval): ${errorText(error)}`,
          );
        });
    }, this.options.interval);
    this.timer.unref();
  }
}
