/**
 * nest-micro's instruments on one OpenTelemetry Meter: names and units per OpenTelemetry's RPC and
 * messaging semantic conventions where they define one (`rpc.server.call.duration`,
 * `rpc.client.call.duration`, `messaging.client.sent.messages`, `messaging.client.consumed.messages`),
 * `micro.*` for what they do not cover, and optionally go-micro's Prometheus wrapper names
 * (`micro_request_total`, `micro_request_duration_seconds`) so Go dashboards keep working.
 */
import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';

/** The conventions' advice for call durations (seconds). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** go-micro's wrapper uses the Prometheus client's DefBuckets. */
export const GO_MICRO_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every instrument name, for documentation and tests. */
export const METRIC = {
  serverDuration: 'rpc.server.call.duration',
  clientDuration: 'rpc.client.call.duration',
  serverActive: 'micro.server.active_calls',
  clientActive: 'micro.client.active_calls',
  retries: 'micro.client.retries',
  ejections: 'micro.selector.ejections',
  breakerTransitions: 'micro.client.breaker.transitions',
  shed: 'micro.server.shed_calls',
  streamSent: 'micro.stream.messages.sent',
  streamReceived: 'micro.stream.messages.received',
  published: 'messaging.client.sent.messages',
  delivered: 'messaging.client.consumed.messages',
  redelivered: 'micro.messaging.redelivered',
  deadLettered: 'micro.messaging.dead_lettered',
  watchEvents: 'micro.registry.watch.events',
  staleServed: 'micro.registry.cache.stale_served',
  goRequests: 'micro_request_total',
  goDuration: 'micro_request_duration_seconds',
} as const;

export class Instruments {
  readonly serverDuration: Histogram;
  readonly clientDuration: Histogram;
  readonly serverActive: UpDownCounter;
  readonly clientActive: UpDownCounter;
  readonly retries: Counter;
  readonly ejections: Counter;
  readonly breakerTransitions: Counter;
  readonly shed: Counter;
  readonly streamSent: Counter;
  readonly streamReceived: Counter;
  readonly published: Counter;
  readonly delivered: Counter;
  readonly redelivered: Counter;
  readonly deadLettered: Counter;
  readonly watchEvents: Counter;
  readonly staleServed: Counter;
  /** go-micro's names (only when asked for). */
  readonly goRequests?: Counter;
  readonly goDuration?: Histogram;

  constructor(meter: Meter, goMicroNames: boolean) {
    const duration = (name: string, description: string): Histogram =>
      meter.createHistogram(name, {
        unit: 's',
        description,
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      });
    const counter = (name: string, description: string, unit = '{call}'): Counter =>
      meter.createCounter(name, { unit, description });
    this.serverDuration = duration(METRIC.serverDuration, 'Duration of calls served');
    this.clientDuration = duration(METRIC.clientDuration, 'Duration of calls made, retries included');
    this.serverActive = meter.createUpDownCounter(METRIC.serverActive, {
      unit: '{call}',
      description: 'Calls being served',
    });
    this.clientActive = meter.createUpDownCounter(METRIC.clientActive, {
      unit: '{call}',
      description: 'Calls in flight from this process',
    });
    this.retries = counter(
      METRIC.retries,
      'Attempts after the first, by the failure that caused them',
      '{retry}',
    );
    this.ejections = counter(METRIC.ejections, 'Nodes taken out of selection after failing', '{ejection}');
    this.breakerTransitions = counter(
      METRIC.breakerTransitions,
      'Circuit breaker state changes, by the state entered',
      '{transition}',
    );
    this.shed = counter(METRIC.shed, 'Calls refused by load shedding (503) or rate limits (429)');
    this.streamSent = counter(METRIC.streamSent, 'Stream messages sent', '{message}');
    this.streamReceived = counter(METRIC.streamReceived, 'Stream messages received', '{message}');
    this.published = counter(METRIC.published, 'Messages published', '{message}');
    this.delivered = counter(METRIC.delivered, 'Messages delivered to subscribers', '{message}');
    this.redelivered = counter(METRIC.redelivered, 'Deliveries after the first of a message', '{message}');
    this.deadLettered = counter(METRIC.deadLettered, 'Messages moved to a dead-letter queue', '{message}');
    this.watchEvents = counter(METRIC.watchEvents, 'Registry watch events applied to the cache', '{event}');
    this.staleServed = counter(
      METRIC.staleServed,
      'Lookups answered from an expired cache entry because the registry failed',
      '{lookup}',
    );
    if (goMicroNames) {
      this.goRequests = meter.createCounter(METRIC.goRequests, {
        description: 'How many go-micro requests processed, partitioned by service, endpoint and status.',
      });
      this.goDuration = meter.createHistogram(METRIC.goDuration, {
        description:
          'Histogram of go-micro request latencies in seconds, partitioned by service, endpoint and status.',
        advice: { explicitBucketBoundaries: GO_MICRO_BUCKETS },
      });
    }
  }
}
