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
import { runInCallScope } from './call-scope.js';
import { contextOf, routeOf, type DispatcherHost } from './incoming.js';

const logger = new Logger('MicroServer');

export async function dispatchEvent(
  host: DispatcherHost,
  topic: string,
  first: MessageHandler,
  event: BrokerEvent,
  local: string,
): Promise<void> {
  try {
    await deliver(host, topic, first, event, local);
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
  local: string,
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
  host.track(+1);
  try {
    for (let handler: MessageHandler | undefined = first; handler; handler = handler.next) {
      const h = handler;
      const payload = await host.invoker.prepare(h, data, host.service);
      const out = await runInCallScope(context, () => h(payload, context));
      if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
    }
  } finally {
    host.track(-1);
  }
}
