/**
 * The test harness's nats-server: it starts, serves JetStream, and comes back on the same port and
 * store after a restart (the NATS suites and the JetStream broker rely on this).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, natsConnectionOptions, natsServers } from '../../lib/core/nats/connection.js';
import { waitFor } from '../support/processes.js';
import { natsRequirement, startNats, type NatsServer } from '../support/nats.js';

describe.skipIf(natsRequirement.skip)('nats-server test support', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNats();
  }, 90_000);
  afterAll(async () => server?.dispose());

  it('keeps JetStream streams across a restart on the same port', async () => {
    const options = natsConnectionOptions(natsServers(server.address), 'support-test');
    const nc = await connectNats(options, 'test');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SUPPORT', subjects: ['support.>'] });
    const pid = server.pid();
    await server.stop('SIGKILL');
    await server.restart();
    expect(server.pid()).not.toBe(pid);
    // the client reconnects on its own; the stream is still there
    let name = '';
    await waitFor(async () => (name = (await jsm.streams.info('SUPPORT')).config.name) !== '', 30_000);
    expect(name).toBe('SUPPORT');
    await nc.close();
  }, 90_000);

  it('fails a first connection to a dead server with a retryable MicroError', async () => {
    const options = natsConnectionOptions(natsServers('127.0.0.1:1'), 'support-test', { timeout: 1_000 });
    await expect(connectNats(options, 'go.micro.test')).rejects.toMatchObject({
      code: 503,
      id: 'go.micro.test',
      retryable: true,
    });
  });
});
