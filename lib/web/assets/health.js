// Health badges: api/health per service (each node's Debug.Health), asked again when the nodes
// change and every 15 s; a badge per node that says SERVING / NOT_SERVING / UNKNOWN in words too.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './html.js';

const REFRESH_MS = 15_000;

/** `{ [service]: { [nodeId]: { status, ms, error? } } }` for the named services. */
export function useHealth(names, nodeKey, authVersion) {
  const [health, setHealth] = useState({});
  const key = names.join('\n');
  useEffect(() => {
    let stopped = false;
    const ask = () =>
      names.forEach(async (name) => {
        let byNode = {};
        try {
          const answer = await api('health', { params: { service: name } });
          for (const node of answer?.nodes ?? []) byNode[node.id] = node;
        } catch (error) {
          byNode = { error };
        }
        if (!stopped) setHealth((h) => ({ ...h, [name]: byNode }));
      });
    ask();
    const timer = setInterval(ask, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
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
