/**
 * The Node side of the interop tests as a process: test/interop/fixtures/node-greeter.ts (one or more
 * nest-micro services serving the Go peer's Greeter, plus its subscribers), started with the same
 * handle as a Go peer (startGoPeer's GoPeer: JSON lines, waitForLine, ready, stop by pid).
 *
 *   const greeter = startNodeGreeter({ ...consulEnv(consul.address), INTEROP_SERVICES: 'node.a' });
 *   await greeter.ready(30_000);       // {"event":"ready","service","address","nodeId"} (first service)
 *   await greeter.waitForLine((l) => l.event === 'message' && l.topic === 'interop.broadcast');
 *
 * Outside a namespace MICRO_REGISTRY must not be mDNS (as for Go peers). Startup (TypeScript compiled
 * on the fly, Nest bootstrap, registration) takes a few seconds on this machine: ready(30_000).
 */
import { startGoPeer, type GoPeer, type GoPeerOptions } from './go-peer.js';

export const NODE_GREETER = 'test/interop/fixtures/node-greeter.ts';

export function startNodeGreeter(
  env: Record<string, string>,
  options: Omit<GoPeerOptions, 'binary'> = {},
): GoPeer {
  const args = ['--import', './scripts/register-ts.mjs', NODE_GREETER];
  return startGoPeer(args, env, { ...options, binary: process.execPath });
}

/** Waits for the ready line of every service in `services` (INTEROP_SERVICES), 30 s by default. */
export async function nodeGreeterReady(peer: GoPeer, services: string[], timeoutMs = 30_000): Promise<void> {
  await Promise.all(
    services.map((service) =>
      peer.waitForLine(
        (l) => l.event === 'ready' && l.service === service,
        timeoutMs,
        `the ready line of ${service}`,
      ),
    ),
  );
}
