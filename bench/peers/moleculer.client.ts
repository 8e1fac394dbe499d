/** Peer: a Moleculer client node calling `greeter.hello` (TCP or NATS transporter: moleculer.options.ts). */
import { ServiceBroker } from 'moleculer';
import { isHello, REQUEST, runClient } from '../load.js';
import { moleculerOptions } from './moleculer.options.js';

const broker = new ServiceBroker(moleculerOptions('bench-client'));
await broker.start();
await broker.waitForServices('greeter', 10_000);
await runClient(() => broker.call('greeter.hello', REQUEST), isHello);
await broker.stop();
