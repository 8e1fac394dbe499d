/**
 * The faults of the chaos benchmark, each run against three fresh nodes under 64 concurrent
 * `Chaos.Hello` calls: a warm-up, a baseline, the fault, then time to recover. A scenario returns
 * the fault's window (and the nodes it hit) for `analyse`.
 */
import { randomUUID } from 'node:crypto';
import type { ClientCallOptions } from 'nest-micro';
import type { ConsulAgent } from '../../test/support/consul.js';
import { chaosClient } from './client.js';
import { closedLoop } from './drive.js';
import { Fleet, type RegistryChoice } from './fleet.js';
import { analyse, Timeline, type FaultWindow, type Figures } from './timeline.js';

export interface ScenarioContext {
  fleet: Fleet;
  consul?: ConsulAgent;
  timeline: Timeline;
}

export interface Scenario {
  name: string;
  /** What the README's table calls it. */
  label: string;
  /** Registries it applies to. */
  registries: Array<RegistryChoice['kind']>;
  inject(context: ScenarioContext): Promise<FaultWindow>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const now = (): number => performance.now();

export const SCENARIOS: Scenario[] = [
  {
    name: 'kill',
    label: 'SIGKILL one node of three',
    registries: ['mdns', 'consul'],
    async inject({ fleet }) {
      const victim = fleet.nodes[0]!;
      const start = now();
      fleet.signal(victim, 'SIGKILL');
      fleet.forget(victim);
      return { start, end: start, hits: [{ address: victim.address, at: start }] };
    },
  },
  {
    name: 'rolling',
    label: 'rolling restart (replacement up, then SIGTERM), all three',
    registries: ['mdns', 'consul'],
    async inject({ fleet }) {
      const old = [...fleet.nodes];
      const start = now();
      const hits: Array<{ address: string; at: number }> = [];
      for (const node of old) {
        await fleet.add();
        hits.push({ address: node.address, at: now() });
        await node.proc.stop('SIGTERM');
        fleet.forget(node);
      }
      return { start, end: now(), hits };
    },
  },
  {
    name: 'stall',
    label: 'one node stalls: SIGSTOP for 5 s, then SIGCONT',
    registries: ['mdns', 'consul'],
    async inject({ fleet }) {
      const victim = fleet.nodes[0]!;
      const start = now();
      fleet.signal(victim, 'SIGSTOP');
      await sleep(5_000);
      fleet.signal(victim, 'SIGCONT');
      return { start, end: now(), hits: [{ address: victim.address, at: start }] };
    },
  },
  {
    name: 'flaky',
    label: 'one node answers 503 to half its calls for 10 s',
    registries: ['mdns', 'consul'],
    async inject({ fleet }) {
      const victim = fleet.nodes[0]!;
      const start = now();
      fleet.signal(victim, 'SIGUSR2');
      await sleep(10_000);
      fleet.signal(victim, 'SIGUSR2');
      return { start, end: now(), hits: [{ address: victim.address, at: start }] };
    },
  },
  {
    name: 'consul-restart',
    label: 'Consul agent restart (SIGTERM, back on the same ports and data)',
    registries: ['consul'],
    async inject({ consul }) {
      const start = now();
      await consul!.restart();
      return { start, end: now(), hits: [] };
    },
  },
];

export interface RunOptions {
  concurrency: number;
  warmupMs: number;
  baselineMs: number;
  /** After the fault's end. */
  observeMs: number;
  /** The caller's call options (default CLIENT_OPTIONS). */
  clientOptions?: Partial<ClientCallOptions>;
}

export async function runScenario(
  scenario: Scenario,
  registry: RegistryChoice,
  options: RunOptions,
  consul?: ConsulAgent,
): Promise<Figures> {
  const service = `chaos-${scenario.name}-${randomUUID().slice(0, 6)}`; // mDNS labels: 63 characters
  const fleet = new Fleet(registry, service);
  const timeline = new Timeline();
  const caller = await chaosClient(registry, service, timeline, options.clientOptions);
  try {
    await Promise.all([fleet.add(), fleet.add(), fleet.add()]);
    const call = (): Promise<unknown> => caller.client.call(service, 'Chaos.Hello', { name: 'chaos' });
    await timeline.untilAnswered(
      fleet.nodes.map((n) => n.address),
      call,
      service,
    );
    timeline.calls.length = 0;
    const load = closedLoop(timeline, call, options.concurrency);
    await sleep(options.warmupMs);
    const baselineStart = now();
    await sleep(options.baselineMs);
    const baselineEnd = now();
    const fault = await scenario.inject({ fleet, consul, timeline });
    await sleep(options.observeMs);
    const end = now();
    await load.stop();
    return analyse(timeline, [baselineStart, baselineEnd], fault, end);
  } finally {
    await caller.close();
    await fleet.close();
  }
}
