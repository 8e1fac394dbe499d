/**
 * Pub/sub e2e on the NATS broker (real nats-server -js on a free loopback port): broadcast over core
 * NATS, queue groups over JetStream; a failed message is redelivered and dead-lettered to
 * `micro.dlq.<topic>` after `maxDeliveries` (3 in the subscriber apps).
 */
import { connect } from '@nats-io/transport-node';
import { describe } from 'vitest';
import { NatsBroker } from '../../../lib/core/broker/index.js';
import { createRegistry } from '../../../lib/core/registry/index.js';
import { natsRequirement, startNats } from '../../support/nats.js';
import { pubsubSuite } from './pubsub.suite.js';

describe.skipIf(natsRequirement.skip)('pub/sub between Nest apps on the NATS broker', () => {
  pubsubSuite(async () => {
    const server = await startNats();
    const nc = await connect({ servers: server.url });
    /** Dead letters as they are stored: subject and the `n` of the message's body. */
    const deadLetters: { subject: string; n: number }[] = [];
    nc.subscribe('micro.dlq.>', {
      callback: (_, m) => {
        const envelope = m.json<{ Body: string }>();
        const { n } = JSON.parse(Buffer.from(envelope.Body, 'base64').toString()) as { n: number };
        deadLetters.push({ subject: m.subject, n });
      },
    });
    await nc.flush();
    return {
      kind: 'nats',
      env: { BROKER: 'nats', NATS_URL: server.url },
      registry: createRegistry('memory'),
      broker: new NatsBroker({ servers: server.url }),
      // the subscriber apps print `ready` once their subscriptions are on the server
      seen: async () => true,
      gaveUp: async (topic, n) => deadLetters.some((d) => d.subject === `micro.dlq.${topic}` && d.n === n),
      close: async () => {
        await nc.close();
        await server.dispose();
      },
    };
  });
});
