/**
 * Peer: Moleculer, a `greeter.hello` action. On TCP, discovery by static URLs (no UDP): this node
 * listens on BENCH_PORT, the client node on BENCH_PORT2. On NATS, through the nats-server.
 */
import { ServiceBroker } from 'moleculer';
import { moleculerOptions } from './moleculer.options.js';

const broker = new ServiceBroker(moleculerOptions('bench-server'));
broker.createService({
  name: 'greeter',
  actions: {
    hello(ctx: { params: { name: string } }) {
      return { msg: `Hello ${ctx.params.name}` };
    },
  },
});
await broker.start();
console.log('READY');
process.on('SIGTERM', () => void broker.stop().finally(() => process.exit(0)));
