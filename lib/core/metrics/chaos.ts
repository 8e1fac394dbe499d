/**
 * The chaos of the moment in this process, read-only: the nodes its selectors have ejected and the
 * circuit breakers its clients hold open or half-open. Selectors and breaker sets register
 * themselves here once, when made (held weakly: a closed module's are forgotten when collected);
 * a snapshot asks each of them. A nest-micro node adds it to its Debug.Stats reply (`chaos`), and
 * the dashboard merges its own client's view with what the nodes report.
 */

export interface EjectedNode {
  /** The service whose calls skip the node. */
  service: string;
  node: string;
  address: string;
}

export interface OpenBreaker {
  service: string;
  /** Set for an endpoint-scoped breaker. */
  endpoint?: string;
  state: 'open' | 'half-open';
}

export interface ChaosSnapshot {
  ejected: EjectedNode[];
  breakers: OpenBreaker[];
}

/** Something that keeps node health or breakers: a selector, a client's breakers. */
export interface ChaosSource {
  ejectedNodes?(): EjectedNode[];
  openBreakers?(): OpenBreaker[];
}

const sources = new Set<WeakRef<ChaosSource>>();

/** Counts `source` in every later snapshot, for as long as it lives. */
export function trackChaos(source: ChaosSource): void {
  sources.add(new WeakRef(source));
}

/** Every ejected node and open breaker this process knows of now. */
export function chaosSnapshot(): ChaosSnapshot {
  const snapshot: ChaosSnapshot = { ejected: [], breakers: [] };
  for (const ref of sources) {
    const source = ref.deref();
    if (!source) {
      sources.delete(ref);
      continue;
    }
    if (source.ejectedNodes) snapshot.ejected.push(...source.ejectedNodes());
    if (source.openBreakers) snapshot.breakers.push(...source.openBreakers());
  }
  return mergeChaos(snapshot);
}

/** Several views of the chaos as one, each ejected node and breaker once. */
export function mergeChaos(...views: Array<Partial<ChaosSnapshot> | undefined>): ChaosSnapshot {
  const ejected = new Map<string, EjectedNode>();
  const breakers = new Map<string, OpenBreaker>();
  for (const view of views) {
    for (const e of view?.ejected ?? []) ejected.set(`${e.service}\0${e.node}\0${e.address}`, e);
    for (const b of view?.breakers ?? []) breakers.set(`${b.service}\0${b.endpoint ?? ''}`, b);
  }
  return { ejected: [...ejected.values()], breakers: [...breakers.values()] };
}
