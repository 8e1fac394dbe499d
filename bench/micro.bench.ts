/**
 * Micro-benchmarks of the client's per-call work outside the network, in µs per call:
 * - selector + codec: select + next() + mark() through the product's composition (RegistrySelector
 *   over a CacheRegistry holding the service; selectCached, without a promise, as the call path does), the request encoded and the reply decoded (JSON, and
 *   protobuf with the greeter types);
 * - select() + next() + mark() with 1,000 services × 10 nodes in the cache, names in rotation.
 * Each figure is the best of 5 rounds (the machine is shared: the least disturbed round), in wall
 * time; with BENCH_MICRO_CLOCK=cpu in the process's CPU time instead (user + system, GC threads
 * included), which other processes competing for the cores disturb far less.
 * Run alone: node --import ./scripts/register-ts.mjs bench/micro.bench.ts [--json]
 * (bench/selector.bench.ts breaks select() down per strategy.)
 */
import { JsonCodec, ProtoCodec, type Codec } from 'nest-micro/codec';
import { CacheRegistry } from 'nest-micro/registry';
import { MemoryRegistry } from 'nest-micro/registry';
import type { Service } from 'nest-micro/registry';
import { RegistrySelector } from 'nest-micro/selector';
import { REQUEST } from './load.js';
import { GreeterProto } from './peers/greeter.proto.js';
import { benchService } from './services.js';

const TCP_NODE = { transport: 'tcp', protocol: 'mucp' };
const CPU_CLOCK = process.env.BENCH_MICRO_CLOCK === 'cpu';

export interface MicroResult {
  /** select+next+mark+encode+decode, JSON, µs per call. */
  selectorCodecJson: number;
  selectorCodecProtobuf: number;
  /** select+next+mark alone (1 service × 1 node). */
  selectOnly: number;
  /** encode request + decode reply alone, JSON. */
  codecJson: number;
  /** select+next+mark with 1,000 services × 10 nodes in the cache. */
  select1000x10: number;
}

async function cachedSelector(services: Service[]): Promise<RegistrySelector> {
  const memory = new MemoryRegistry();
  for (const s of services) await memory.register(s, { ttl: 3_600_000 });
  const cache = new CacheRegistry(memory, { ttl: 3_600_000 });
  for (const s of services) await cache.getService(s.name); // warm: every lookup after this is a hit
  return new RegistrySelector({ registry: cache });
}

/** As the call path selects (rpc-caller.ts): from the cache without a promise, select() otherwise. */
function selectOnce(selector: RegistrySelector, name: string): Promise<void> | void {
  const next = selector.selectCached(name);
  if (next === undefined)
    return selector.select(name).then((n) => selector.mark(name, n(), null, { duration: 1 }));
  selector.mark(name, next(), null, { duration: 1 });
}

/** Best µs per call over 5 rounds of `iterations` calls (after one warm-up round). */
async function best(iterations: number, fn: (i: number) => Promise<void> | void): Promise<number> {
  const round = async (): Promise<number> => {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      const pending = fn(i);
      if (pending !== undefined) await pending; // a synchronous call costs no turn
    }
    if (CPU_CLOCK) {
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / iterations;
    }
    return Number(process.hrtime.bigint() - start) / 1_000 / iterations;
  };
  await round();
  let min = Infinity;
  for (let r = 0; r < 5; r++) min = Math.min(min, await round());
  return min;
}

export async function runMicro(iterations = 100_000): Promise<MicroResult> {
  const one = await cachedSelector([benchService('greeter', 1, TCP_NODE)]);
  const names = Array.from({ length: 1_000 }, (_, i) => `svc-${i}`);
  const big = await cachedSelector(names.map((n) => benchService(n, 10, TCP_NODE)));
  const json = new JsonCodec();
  const proto = new ProtoCodec();
  const replies = new Map<Codec, Buffer>([
    [json, json.encodeResponse({ id: '1', endpoint: 'Greeter.Hello' }, { msg: 'Hello John' })],
    [
      proto,
      proto.encodeResponse(
        { id: '1', endpoint: 'Greeter.Hello' },
        { msg: 'Hello John' },
        GreeterProto.response,
      ),
    ],
  ]);
  const header = { id: '1', endpoint: 'Greeter.Hello' };

  const codecOnce = (codec: Codec): void => {
    const schemas = codec === proto ? GreeterProto : undefined;
    codec.encodeRequest(header, REQUEST, schemas?.request);
    codec.decodeResponse(replies.get(codec)!, schemas?.response);
  };

  return {
    selectorCodecJson: await best(iterations, () => {
      const selected = selectOnce(one, 'greeter'); // warm cache: synchronous
      codecOnce(json);
      return selected;
    }),
    selectorCodecProtobuf: await best(iterations, () => {
      const selected = selectOnce(one, 'greeter');
      codecOnce(proto);
      return selected;
    }),
    selectOnly: await best(iterations, () => selectOnce(one, 'greeter')),
    codecJson: await best(iterations, () => codecOnce(json)),
    select1000x10: await best(iterations, (i) => selectOnce(big, names[(i * 7919) % names.length]!)),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const result = await runMicro(Number(process.env.BENCH_MICRO_ITERATIONS ?? 100_000));
  if (process.argv.includes('--json')) console.log(`RESULT ${JSON.stringify(result)}`);
  else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(24)} ${v.toFixed(3)} µs`);
  process.exit(0);
}
