/** The decorators users put on controller methods. */
export * from './handler.decorator.js';
export * from './subscriber.decorator.js';
export { MICRO_TRANSPORT, defaultEndpointName, type HandlerExtras } from './handler-meta.js';
