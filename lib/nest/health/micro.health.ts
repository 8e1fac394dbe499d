/**
 * MicroHealth: liveness and readiness of a nest-micro service for probes and dashboards — whether
 * the server takes calls (false while draining), whether the registry answers, whether the broker
 * is connected. `nest-micro/terminus` wraps it as a @nestjs/terminus health indicator.
 */
import { Inject, Injectable } from '@nestjs/common';
import { MICRO_OPTIONS } from '../micro.constants.js';
import type { ResolvedOptions } from '../options.js';
import { MicroServer } from '../server/micro.server.js';
import { errorText } from '../../core/errors/error-text.js';

export interface MicroHealthReport {
  /** True when every part is up. */
  healthy: boolean;
  /** The server takes calls (started and not draining); null when this app serves nothing. */
  ready: boolean | null;
  registry: { name: string; up: boolean; error?: string };
  broker: { name: string; up: boolean | null };
}

@Injectable()
export class MicroHealth {
  constructor(
    @Inject(MICRO_OPTIONS) private readonly options: ResolvedOptions,
    private readonly server: MicroServer,
  ) {}

  async check(timeoutMs = 2_000): Promise<MicroHealthReport> {
    const { registry, broker } = this.options;
    let registryUp = true;
    let error: string | undefined;
    try {
      await withTimeout(registry.listServices(), timeoutMs);
    } catch (e) {
      registryUp = false;
      error = errorText(e);
    }
    const brokerUp = broker.connected ? broker.connected() : null;
    const ready = this.server.service ? this.server.ready : null;
    return {
      healthy: registryUp && brokerUp !== false && ready !== false,
      ready,
      registry: { name: registry.name, up: registryUp, ...(error ? { error } : {}) },
      broker: { name: broker.name, up: brokerUp },
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}
