// The service page (#/service/NAME[/ENDPOINT]): versions and nodes with health, the endpoint list
// (a link each), the chosen endpoint's panel (call or stream), and the service's numbers.
import { EndpointPanel } from './endpoint.js';
import { NodeList, nodeKey } from './fleet.js';
import { useHealth } from './health.js';
import { html } from './html.js';
import { StatsPanel } from './stats.js';

/** Every endpoint the versions announce, once per name, sorted. */
export function endpointsOf(versions) {
  const byName = new Map();
  for (const s of versions) for (const e of s.endpoints ?? []) if (!byName.has(e.name)) byName.set(e.name, e);
  return [...byName.values()].toSorted((a, b) => a.name.localeCompare(b.name));
}

const href = (service, endpoint) =>
  `#/service/${encodeURIComponent(service)}${endpoint ? `/${encodeURIComponent(endpoint)}` : ''}`;

function SubscriberNote({ endpoint }) {
  return html`<article class="endpoint">
    <h2>${endpoint.name} <span class="badge pending">subscriber</span></h2>
    <p>
      This handler receives messages published to <code>${endpoint.metadata.topic}</code>. Publish one on the${' '}
      <a href="#/pubsub">Pub/Sub page</a>.
    </p>
  </article>`;
}

export function ServicePage({ route, registry, auth }) {
  const name = route.service;
  const versions = registry.services.filter((s) => s.name === name);
  const health = useHealth([name], nodeKey(versions), auth.version);
  const endpoints = endpointsOf(versions);
  const selected = endpoints.find((e) => e.name === route.endpoint) ?? endpoints[0];
  return html`<h1 tabindex="-1">${name}</h1>
    ${registry.loaded && versions.length === 0 && html`<p role="status">${name} is not in the registry now.</p>`}
    ${versions.map(
      (s) =>
        html`<section class="version" key=${s.version} aria-label=${`Version ${s.version || '-'}`}>
          <h2 class="small-head">
            Version ${s.version || '-'}${' '}
            <span class="muted small">${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}</span>
          </h2>
          <${NodeList} service=${s} health=${health[name]} />
        </section>`,
    )}
    ${
      endpoints.length > 0 &&
      html`<div class="service-layout">
        <nav class="endpoint-list" aria-label="Endpoints">
          <h2 class="small-head">Endpoints</h2>
          <ul>
            ${endpoints.map(
              (e) =>
                html`<li key=${e.name}>
                  <a href=${href(name, e.name)} aria-current=${e === selected ? 'true' : undefined}
                    >${e.name}</a
                  >
                  ${e.metadata?.stream === 'true' && html` <span class="muted small">stream</span>`}
                  ${e.metadata?.subscriber === 'true' && html` <span class="muted small">subscriber</span>`}
                </li>`,
            )}
          </ul>
        </nav>
        <div class="endpoint-main">
          ${
            selected.metadata?.subscriber === 'true'
              ? html`<${SubscriberNote} endpoint=${selected} />`
              : html`<${EndpointPanel} key=${selected.name} service=${name} endpoint=${selected} />`
          }
        </div>
      </div>`
    }
    ${versions.length > 0 && html`<${StatsPanel} service=${name} auth=${auth} />`}`;
}
