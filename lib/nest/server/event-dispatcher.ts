/**
 * Delivers broker messages to @Subscriber handlers: decodes with the codec of the message's
 * Content-Type, validates, and runs every handler chained on the topic. It resolves only when all
 * of them completed, so the broker acknowledges then; a throw (undecodable body, invalid payload,
 * guard refusal, handler error) leaves the message unacknowledged — the broker redelivers it up to
 * its bound, then dead-letters or gives it up — and is logged here as a warning, typed.
 */
import { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { BrokerEvent } from '../../core/broker/broker.js';
import { microExtras } from '../decorators/handler-meta.js';
import { toMicroError } from '../errors.js';
import { endSpan, runTraced, startDeliverySpan } from '../../core/telemetry/spans.js';
import { activeMetrics } from '../../core/metrics/recorder.js';
import { runInCallScope } from './call-scope.js';
import { contextOf, routeOf, type DispatcherHost } from './incoming.js';

const logger = new Logger('MicroServer');

/** Where an event arrived: the server's listen address and the broker's name. */
export interface Receiver {
  local: string;
  broker: string;
}

export async function dispatchEvent(
  host: DispatcherHost,
  topic: string,
  first: MessageHandler,
  event: BrokerEvent,
  where: Receiver,
): Promise<void> {
  try {
    await deliver(host, topic, first, event, where);
  } catch (error) {
    const e = toMicroError(error, host.service);
    const attempt = event.attempt ? ` (attempt ${event.attempt})` : '';
    logger.warn(`event on ${topic} not acknowledged${attempt}: ${e.code} ${e.detail}`);
    throw e;
  }
}

async function deliver(
  host: DispatcherHost,
  topic: string,
  first: MessageHandler,
  event: BrokerEvent,
  { local, broker }: Receiver,
): Promise<void> {
  const header = event.message.header;
  const route = { ...routeOf(host, header), endpoint: topic };
  const codec = host.codecs.get(route.contentType);
  const data = codec.unmarshal(event.message.body, microExtras(first.extras)?.requestSchema);
  const context = contextOf(
    host,
    route,
    header,
    { remote: '', local },
    { topic, ack: () => event.ack(), attempt: event.attempt },
  );
  // a CONSUMER span (undefined while tracing is off), child of and linked to the producer's
  const traced = startDeliverySpan(broker, topic, header);
  // delivery metrics (undefined while no MeterProvider is registered)
  const metrics = activeMetrics();
  const started = metrics ? performance.now() : 0;
  host.track(+1);
  try {
    await runTraced(traced, async () => {
      for (let handler: MessageHandler | undefined = first; handler; handler = handler.next) {
        const h = handler;
        const payload = await host.invoker.prepare(h, data, host.service);
        const out = await runInCallScope(context, () => h(payload, context));
        if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
      }
    });
    endSpan(traced?.span);
    metrics?.delivered(broker, topic, started, event.attempt, null);
  } catch (error) {
    const e = toMicroError(error, host.service);
    endSpan(traced?.span, e);
    metrics?.delivered(broker, topic, started, event.attempt, e);
    throw error;
  } finally {
    host.track(-1);
  }
}
