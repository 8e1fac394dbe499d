/**
 * The NATS broker's options and names: defaults, and stream / consumer names JetStream accepts that
 * are the same in every process and never make two topics meet.
 */
import { describe, expect, it } from 'vitest';
import {
  deadLetterSubject,
  durableName,
  resolveNatsOptions,
  safeName,
  topicStream,
} from '../../../lib/core/broker/nats/options.js';

describe('NATS broker options', () => {
  it('defaults: JetStream queue groups, at least once with the Redis broker limits', () => {
    expect(resolveNatsOptions({})).toMatchObject({
      servers: ['nats://127.0.0.1:4222'],
      queueGroups: 'jetstream',
      streamPrefix: 'micro_',
      deadLetterPrefix: 'micro.dlq.',
      storage: 'file',
      visibilityTimeout: 30_000,
      maxDeliveries: 5,
      prefetch: 64,
      publishTimeout: 0,
    });
  });

  it('takes MICRO_BROKER_ADDRESS as go-micro does, and a dead-letter prefix without its dot', () => {
    const options = resolveNatsOptions({ servers: '10.0.0.1:4222, tls://b:4443', deadLetterPrefix: 'dead' });
    expect(options.servers).toEqual(['nats://10.0.0.1:4222', 'tls://b:4443']);
    expect(deadLetterSubject(options.deadLetterPrefix, 'orders.created')).toBe('dead.orders.created');
  });

  it('names streams and consumers readably, with a hash where two topics could meet', () => {
    expect(topicStream('micro_', 'orders.created')).toBe('micro_topic_orders_created');
    expect(safeName('workers')).toBe('workers');
    const underscored = safeName('orders_created');
    expect(underscored).toMatch(/^orders_created_[0-9a-f]{10}$/);
    expect(underscored).not.toBe(safeName('orders.created'));
    expect(safeName('orders.*')).not.toBe(safeName('orders.>'));
    expect(safeName('a'.repeat(300)).length).toBeLessThan(80);
    expect(safeName('')).toMatch(/^_[0-9a-f]{10}$/);
    for (const name of [safeName('a b/c\\d'), safeName('x.>')]) expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(durableName('workers', 'orders.created', false)).toBe('workers');
    expect(durableName('workers', 'orders.created', true)).toBe('workers_orders_created');
  });
});
