/**
 * Helpers shared by the broker tests (HTTP, Redis, NATS): member processes and reading what they
 * received, numbered message bodies, and a hand-made HTTP-broker subscriber node in the registry (as
 * go-micro registers one).
 */
import type { BrokerEvent } from '../../../lib/core/broker/broker.js';
import { BROADCAST_VERSION, HTTP_BROKER_SERVICE } from '../../../lib/core/broker/http.broker.js';
import type { Registry } from '../../../lib/core/registry/registry.js';
import { startProcess, waitFor, type Started } from '../../support/processes.js';

export interface Member {
  proc: Started;
  /** Message numbers this member received, in order (repeats included). */
  got(): number[];
  acked(): number[];
}

function numbers(output: string, word: string): number[] {
  const out: number[] = [];
  for (const line of output.split('\n'))
    if (line.startsWith(`${word} `)) out.push(Number(line.slice(word.length + 1)));
  return out;
}

/** Starts a member process (a script printing `ready`, then `got <n>` / `acked <n>` lines). */
export async function startMember(
  env: Record<string, string>,
  script = 'test/integration/broker/fixtures/redis-member.ts',
): Promise<Member> {
  const proc = startProcess(process.execPath, ['--import', './scripts/register-ts.mjs', script], env);
  await waitFor(
    () => {
      if (proc.child.exitCode !== null) throw new Error(`member exited: ${proc.output()}`);
      return proc.output().includes('ready\n');
    },
    30_000,
    'member ready',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${proc.output()}`);
  });
  return { proc, got: () => numbers(proc.output(), 'got'), acked: () => numbers(proc.output(), 'acked') };
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

export function body(n: number): Buffer {
  return Buffer.from(JSON.stringify({ n }));
}

/** The `n` of an event whose body is `body(n)`. */
export const numberOf = (e: BrokerEvent): number => JSON.parse(e.message.body.toString()).n as number;

/** A moment for what must not happen (a duplicate, a redelivery) to show if it would. */
export const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers a broadcast subscriber of `topic` at `address` for the HTTP broker, as go-micro's does. */
export async function registerSubscriberNode(
  registry: Registry,
  topic: string,
  id: string,
  address: string,
): Promise<void> {
  await registry.register({
    name: HTTP_BROKER_SERVICE,
    version: BROADCAST_VERSION,
    metadata: {},
    endpoints: [],
    nodes: [{ id, address, metadata: { broker: 'http', topic, secure: 'false' } }],
  });
}
