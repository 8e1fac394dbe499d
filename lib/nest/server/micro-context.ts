/**
 * MicroContext: what `@Ctx()` gives a handler — the call's metadata (headers), the remote and
 * local addresses, the endpoint, the call id and the deadline the caller set (go-micro's
 * Timeout header), from which nested calls inherit their budget.
 */
import { BaseRpcContext } from '@nestjs/microservices';
import type { Metadata } from '../../core/metadata/metadata.js';

export interface MicroContextInit {
  service: string;
  endpoint: string;
  id: string;
  metadata: Metadata;
  remote: string;
  local: string;
  contentType: string;
  /** Epoch ms by which the caller needs the reply; undefined when it set none. */
  deadline?: number;
  /** Set for broker events. */
  topic?: string;
  /** Acknowledges a broker event (subscribers with `ack: 'manual'`). */
  ack?: () => Promise<void>;
  /** Delivery attempt of a broker event, 1 for the first (brokers that track it). */
  attempt?: number;
}

export class MicroContext extends BaseRpcContext<[MicroContextInit]> {
  constructor(private readonly init: MicroContextInit) {
    super([init]);
  }

  /** All incoming metadata (lower-case keys). */
  getMetadata(): Metadata {
    return this.init.metadata;
  }

  /** One metadata value, case-insensitive. */
  get(key: string): string | undefined {
    return this.init.metadata.get(key);
  }

  getRemote(): string {
    return this.init.remote;
  }

  getLocal(): string {
    return this.init.local;
  }

  /** "Service.Method", or the topic for an event. */
  getEndpoint(): string {
    return this.init.endpoint;
  }

  getService(): string {
    return this.init.service;
  }

  getId(): string {
    return this.init.id;
  }

  getContentType(): string {
    return this.init.contentType;
  }

  getTopic(): string | undefined {
    return this.init.topic;
  }

  /** Acknowledges the broker message being handled (subscribers with `ack: 'manual'`). */
  async ack(): Promise<void> {
    await this.init.ack?.();
  }

  /** Which delivery of a broker event this is (1 = first); undefined where the broker does not say. */
  getAttempt(): number | undefined {
    return this.init.attempt;
  }

  getDeadline(): number | undefined {
    return this.init.deadline;
  }

  /** Milliseconds left before the caller's deadline; undefined when there is none. */
  remaining(): number | undefined {
    return this.init.deadline === undefined ? undefined : this.init.deadline - Date.now();
  }
}
