// `nest-micro publish` and `subscribe` on the Redis broker chosen by flags (and the registry by
// environment): a queue-group subscriber receives the message as a JSON line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';
import { redisRequirement, startRedis, type RedisServer } from '../../support/redis.js';
import { runCli, startCli } from './cli.helpers.js';

describe.skipIf(redisRequirement.skip)(
  `nest-micro CLI on the Redis broker ${redisRequirement.reason}`,
  () => {
    let redis: RedisServer;
    let env: NodeJS.ProcessEnv;
    let flags: string[];

    beforeAll(async () => {
      redis = await startRedis();
      env = { MICRO_REGISTRY: '', MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}` };
      flags = ['--broker', 'redis', '--broker-address', `127.0.0.1:${redis.port}`];
    });

    afterAll(async () => {
      await redis?.dispose();
    });

    it('subscribe --queue receives what publish sends, then exits 0 after --count', async () => {
      const sub = startCli([...flags, 'subscribe', 'cli.redis', '--queue', 'workers', '--count', '1'], env);
      try {
        await waitFor(
          () => sub.output().includes('subscribed to cli.redis (queue workers) on the redis broker'),
          20_000,
        );
        const pub = await runCli([...flags, 'publish', 'cli.redis', '{"n":7}'], env);
        expect(pub.code).toBe(0);
        await waitFor(() => sub.child.exitCode !== null, 20_000, 'subscriber exit');
        expect(sub.child.exitCode).toBe(0);
        const line = sub
          .output()
          .split('\n')
          .find((l) => l.startsWith('{'))!;
        expect(JSON.parse(line)).toMatchObject({ topic: 'cli.redis', body: { n: 7 } });
      } finally {
        await sub.stop();
      }
    });

    it('an unreachable Redis is a one-line error (exit 1)', async () => {
      const r = await runCli(
        ['--broker', 'redis', '--broker-address', '127.0.0.1:1', 'publish', 't', '{}'],
        env,
      );
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^nest-micro: error/);
    });
  },
);
