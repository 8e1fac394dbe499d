/**
 * Discovery figures (issue 3), for mDNS (on 127.0.0.1) and Consul (a throwaway dev agent when the
 * binary is installed): the time from spawning a service to the first successful call from a
 * client that is already watching, and the time for a SIGKILLed node to leave the client's view.
 * Run: `node --import ./scripts/register-ts.mjs bench/discovery.bench.ts` (TTL 5 s, interval 1 s).
 */
import 'reflect-metadata';
import { createRegistry, type Registry } from '../lib/core/registry/index.js';
import { MicroClient } from '../lib/index.js';
import { resolveOptions } from '../lib/nest/options.js';
import { consulBinary, startConsul, type ConsulAgent } from '../test/support/consul.js';
import { startProcess } from '../test/support/processes.js';

const TTL_SECONDS = 5;

interface Row {
  registry: string;
  'spawn → first call (ms)': number;
  'ready → first call (ms)': number;
  'SIGKILL → gone from view (ms)': number;
}

async function measure(name: 'mdns' | 'consul', address: string): Promise<Row> {
  const registry: Registry = createRegistry(name, address);
  const client = new MicroClient(
    resolveOptions({ registry, env: false, client: { retries: 0, timeout: 250 } }),
    'greeter',
  );
  const watcher = registry.watch(() => {}, { service: 'greeter' });
  const env = {
    MICRO_REGISTRY: name,
    MICRO_REGISTRY_ADDRESS: address,
    MICRO_REGISTER_TTL: String(TTL_SECONDS),
    MICRO_REGISTER_INTERVAL: '1',
    MICRO_BROKER: 'memory',
  };
  const spawned = Date.now();
  const proc = startProcess(
    process.execPath,
    ['--import', './scripts/register-ts.mjs', 'sample/service.ts'],
    env,
  );
  let ready = 0;
  let firstCall = 0;
  try {
    while (!firstCall) {
      if (!ready && proc.output().includes('greeter ready')) ready = Date.now();
      if (Date.now() - spawned > 30_000) throw new Error(`no successful call within 30 s:\n${proc.output()}`);
      const ok = await client.call('greeter', 'Greeter.Hello', { name: 'bench' }).then(
        () => true,
        () => false,
      );
      if (ok) firstCall = Date.now();
      else await new Promise((r) => setTimeout(r, 5));
    }
    ready ||= firstCall;
    await proc.stop('SIGKILL');
    const killed = Date.now();
    let gone = 0;
    while (!gone) {
      if (Date.now() - killed > (TTL_SECONDS + 30) * 1000)
        throw new Error('the killed node never left the view');
      const nodes = (await registry.getService('greeter').catch(() => [])).flatMap((s) => s.nodes);
      if (nodes.length === 0) gone = Date.now();
      else await new Promise((r) => setTimeout(r, 20));
    }
    return {
      registry: name,
      'spawn → first call (ms)': firstCall - spawned,
      'ready → first call (ms)': firstCall - ready,
      'SIGKILL → gone from view (ms)': gone - killed,
    };
  } finally {
    await proc.stop('SIGKILL');
    watcher.stop();
    await client.options.transport.close();
    await registry.close?.();
  }
}

const rows: Row[] = [await measure('mdns', '127.0.0.1')];
if (consulBinary) {
  let consul: ConsulAgent | undefined;
  try {
    consul = await startConsul();
    rows.push(await measure('consul', consul.address));
  } finally {
    await consul?.close();
  }
} else {
  console.log('consul not installed (bash scripts/install-consul.sh): measuring mDNS only');
}
console.log(`registration TTL ${TTL_SECONDS} s, re-register every 1 s`);
console.table(rows);
