/**
 * The RPC e2e suite over the NATS transport (go-micro's transport/nats: the node's address is a
 * subject, calls are request/reply through the server), through a nats-server started for the file.
 */
import { afterAll, describe, it } from 'vitest';
import { NatsTransport } from '../../lib/core/transport/index.js';
import { natsRequirement, startNats } from '../support/nats.js';
import { rpcSuite } from './rpc.suite.js';

const nats = natsRequirement.skip ? undefined : await startNats({ jetstream: false });
afterAll(async () => nats?.dispose());

if (nats) rpcSuite('nats', () => NatsTransport.fromAddress(nats.address), nats.url);
else describe.skip(`RPC over the nats transport ${natsRequirement.reason}`, () => it('needs nats-server'));
