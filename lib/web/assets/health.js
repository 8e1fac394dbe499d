// Health badges: api/health per service (each node's Debug.Health), asked again when the nodes
// change and 15 s after the last round; a badge per node that says its status in words too.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './html.js';

const REFRESH_MS = 15_000;
const PACE_MS = 100;

/** `{ [service]: { [nodeId]: { status, ms, error? } } }` for the named services. */
export function useHealth(names, nodeKey, authVersion) {
  const [health, setHealth] = useState({});
  const key = names.join('\n');
  useEffect(() => {
    let stopped = false;
    let timer;
    // one service at a time, paced, so a large fleet stays under the API's per-client rate limit
    const ask = async () => {
      for (const name of names) {
        if (stopped) return;
        let byNode = {};
        try {
          const answer = await api('health', { params: { service: name } });
          for (const node of answer?.nodes ?? []) byNode[node.id] = node;
        } catch (error) {
          byNode = { error };
        }
        if (stopped) return;
        setHealth((h) => ({ ...h, [name]: byNode }));
        if (names.length > 1) await new Promise((resolve) => setTimeout(resolve, PACE_MS));
      }
      if (!stopped) timer = setTimeout(ask, REFRESH_MS);
    };
    void ask();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, nodeKey, authVersion]);
  return health;
}

const LABELS = { SERVING: 'serving', NOT_SERVING: 'not serving', UNKNOWN: 'unknown' };

/** One node's health as a coloured badge with its words and, on hover, the detail. */
export function HealthBadge({ node }) {
  if (!node) return html`<span class="badge pending">checking…</span>`;
  const status = node.status ?? 'UNKNOWN';
  const detail = node.error
    ? `${node.error.status ?? ''} ${node.error.detail ?? ''}`.trim()
    : `${node.ms} ms`;
  return html`<span class=${`badge ${status.toLowerCase()}`} title=${detail} data-testid="health">
    ${LABELS[status] ?? status.toLowerCase()}
  </span>`;
}
