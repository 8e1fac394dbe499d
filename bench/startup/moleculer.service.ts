/**
 * Start-up fixture: a Moleculer node with its TCP transporter (UDP discovery off, listening on
 * STARTUP_PORT) and one `greeter.hello` action; prints READY once the broker started.
 */
import { ServiceBroker } from 'moleculer';

const broker = new ServiceBroker({
  nodeID: process.env.STARTUP_SERVICE ?? 'startup-greeter',
  logger: false,
  metrics: false,
  tracing: false,
  transporter: {
    type: 'TCP',
    options: { udpDiscovery: false, port: Number(process.env.STARTUP_PORT ?? 0) },
  },
});
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
