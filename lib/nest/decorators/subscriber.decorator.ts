/**
 * @Subscriber(topic, { queue?, ack? }): marks a controller method as a broker subscriber. A thin
 * layer over Nest's @EventPattern with nest-micro data in `extras`. Without `queue` every
 * instance gets every message; with one, each message goes to one member of the queue group.
 * `ack: 'manual'` leaves acknowledgement to the handler (`ctx.ack()` / the event's ack).
 */
import { EventPattern } from '@nestjs/microservices';
import { MICRO_TRANSPORT, payloadType, type HandlerExtras } from './handler-meta.js';

export interface SubscriberOptions {
  queue?: string;
  ack?: 'auto' | 'manual';
  metadata?: Record<string, string>;
  /** Message class when it cannot be read from the parameter type. */
  message?: Function;
  /** Protobuf message type (protobufjs Type) for application/protobuf messages. */
  protobuf?: unknown;
  /** Validate the message with class-validator before the method runs (default true). */
  validate?: boolean;
}

export function Subscriber(topic: string, options: SubscriberOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    const micro: HandlerExtras = {
      kind: 'subscriber',
      name: topic,
      requestType: options.message ?? payloadType(target, key),
      requestSchema: options.protobuf,
      metadata: {
        ...options.metadata,
        topic,
        subscriber: 'true',
        ...(options.queue ? { queue: options.queue } : {}),
      },
      queue: options.queue,
      ack: options.ack ?? 'auto',
      validate: options.validate !== false,
    };
    const decorate: MethodDecorator = EventPattern<string>(topic, MICRO_TRANSPORT, { micro });
    return decorate(target, key, descriptor);
  };
}
