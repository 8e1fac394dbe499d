/**
 * Issue 6 over the NATS transport (go-micro's transport/nats: a stream's messages are NATS messages
 * on the node's subject and the caller's reply subject), through a nats-server started for the file.
 * NATS holds no publisher back; the streams' credit window between nest-micro nodes (nats.flow.ts)
 * does, so the flow-control rows run here as on tcp.
 */
import { afterAll, describe, it } from 'vitest';
import { NatsTransport } from '../../../lib/core/transport/index.js';
import { natsRequirement, startNats } from '../../support/nats.js';
import { streamingSuite } from './streaming.suite.js';

const nats = natsRequirement.skip ? undefined : await startNats({ jetstream: false });
afterAll(async () => nats?.dispose());

if (nats) streamingSuite('nats', () => NatsTransport.fromAddress(nats.address));
else
  describe.skip(`streams over the nats transport ${natsRequirement.reason}`, () => it('needs nats-server'));
