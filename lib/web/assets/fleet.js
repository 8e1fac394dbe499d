// The fleet page: every service the registry lists (live from api/events), its versions and nodes
// (address, transport, framework) with a health badge per node, each linking to its service page.
import { html } from './html.js';
import { HealthBadge, useHealth } from './health.js';

/** Versions grouped by service name, names sorted. */
export function byName(services) {
  const groups = new Map();
  for (const s of services) {
    if (!groups.has(s.name)) groups.set(s.name, []);
    groups.get(s.name).push(s);
  }
  return [...groups.entries()].toSorted(([a], [b]) => a.localeCompare(b));
}

/** A key that changes when any node comes or goes (to ask for health again). */
export function nodeKey(services) {
  return services.flatMap((s) => s.nodes.map((n) => `${s.name}/${n.id}`)).join(',');
}

/** A broker's subscription entry (micro.http.broker: broker + topic metadata), not an RPC server. */
const isSubscription = (node) => Boolean(node.metadata?.broker) && node.metadata?.topic !== undefined;

export function NodeList({ service, health }) {
  return html`<ul class="nodes">
    ${service.nodes.map(
      (node) =>
        html`<li key=${node.id} data-testid="node">
          ${
            isSubscription(node)
              ? html`<span class="badge subscriber" title="a broker subscription: no health to ask">subscriber</span>`
              : html`<${HealthBadge}
                node=${health?.[node.id] ?? (health?.error ? { status: 'UNKNOWN', error: health.error.error } : undefined)}
              />`
          }
          <code>${node.address}</code>
          <span class="muted">
            ${node.metadata?.transport ?? ''}${node.metadata?.framework ? ` · ${node.metadata.framework}` : ''}
            ${node.metadata?.server && !node.metadata?.framework ? ` · ${node.metadata.server}` : ''}
          </span>
          <span class="muted small">${node.id}</span>
        </li>`,
    )}
  </ul>`;
}

export function FleetPage({ registry, auth }) {
  const groups = byName(registry.services);
  const health = useHealth(
    groups.map(([name]) => name),
    nodeKey(registry.services),
    auth.version,
  );
  return html`<h1 tabindex="-1">Fleet</h1>
    <p class="muted" aria-live="polite">
      ${
        registry.loaded
          ? `${groups.length} service${groups.length === 1 ? '' : 's'}, ${registry.services.reduce((n, s) => n + s.nodes.length, 0)} nodes`
          : 'Waiting for the registry…'
      }
    </p>
    ${registry.loaded && groups.length === 0 && html`<p>No service is registered.</p>`}
    ${
      groups.length > 0 &&
      html`<table class="fleet" data-testid="fleet">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Version</th>
            <th scope="col">Nodes</th>
            <th scope="col">Endpoints</th>
          </tr>
        </thead>
        <tbody>
          ${groups.flatMap(([name, versions]) =>
            versions.map(
              (s, i) =>
                html`<tr key=${`${name}@${s.version}`} data-testid="service-row" data-service=${name}>
                  ${
                    i === 0 &&
                    html`<th scope="row" rowspan=${versions.length}>
                      <a href=${`#/service/${encodeURIComponent(name)}`}>${name}</a>
                    </th>`
                  }
                  <td>${s.version || '-'}</td>
                  <td><${NodeList} service=${s} health=${health[name]} /></td>
                  <td>${(s.endpoints ?? []).length}</td>
                </tr>`,
            ),
          )}
        </tbody>
      </table>`
    }`;
}
