/** The decorators users put on controller methods, and the Nest transport id they register on. */
export { Handler, type HandlerOptions } from './handler.decorator.js';
export { Subscriber, type SubscriberOptions } from './subscriber.decorator.js';
export { MICRO_TRANSPORT } from './handler-meta.js';
