// The dashboard's shell: hash routing (#/, #/service/NAME[/ENDPOINT], #/pubsub), the live registry
// snapshot from api/events shared by every page, the header and the token prompt shown on a 401.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { openEvents, saveToken, token, useAuth } from './api.js';
import { FleetPage } from './fleet.js';
import { html } from './html.js';
import { PubSubPage } from './pubsub.js';
import { ServicePage } from './service.js';

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The page a location hash names. */
export function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decode);
  if (parts[0] === 'service' && parts[1]) return { page: 'service', service: parts[1], endpoint: parts[2] };
  if (parts[0] === 'pubsub') return { page: 'pubsub' };
  return { page: 'fleet' };
}

function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

/** The registry as api/events reports it: `{ services, live, loaded }`. */
function useServices(authVersion) {
  const [state, setState] = useState({ services: [], live: false, loaded: false });
  useEffect(
    () =>
      openEvents(
        'events',
        {},
        ['services'],
        (_name, data) => setState({ services: data.services ?? [], live: true, loaded: true }),
        (status) => setState((s) => ({ ...s, live: status === 'open' && s.live })),
      ),
    [authVersion],
  );
  return state;
}

function TokenPrompt() {
  const input = useRef(null);
  useEffect(() => input.current?.focus(), []);
  const submit = (event) => {
    event.preventDefault();
    saveToken(input.current.value.trim());
  };
  return html`<section class="token-prompt" role="dialog" aria-labelledby="token-title">
    <form onSubmit=${submit}>
      <h2 id="token-title">This dashboard needs a token</h2>
      <p>The server answered 401. Enter the token it was started with (kept for this tab only).</p>
      <label for="token-input">Token</label>
      <input id="token-input" ref=${input} type="password" autocomplete="off" required />
      <button type="submit">Use token</button>
    </form>
  </section>`;
}

const link = (href, label, active) =>
  html`<a href=${href} aria-current=${active ? 'page' : undefined}>${label}</a>`;

function Header({ route, live, loaded }) {
  return html`<header class="top">
    <a class="brand" href="#/">nest-micro</a>
    <nav aria-label="Pages">
      ${link('#/', 'Fleet', route.page === 'fleet')} ${link('#/pubsub', 'Pub/Sub', route.page === 'pubsub')}
    </nav>
    <span class="spacer"></span>
    <span class=${`live ${live ? 'on' : 'off'}`} role="status" data-testid="live-status">
      ${live ? 'Live' : loaded ? 'Reconnecting…' : 'Connecting…'}
    </span>
    ${
      token() && html`<button type="button" class="link" onClick=${() => saveToken('')}>Forget token</button>`
    }
  </header>`;
}

function App() {
  const route = useRoute();
  const auth = useAuth();
  const registry = useServices(auth.version);
  const first = useRef(true);
  useEffect(() => {
    // a new page takes the focus to its heading, so keyboard and screen reader users start there
    if (first.current) first.current = false;
    else document.querySelector('main h1')?.focus();
  }, [route.page, route.service]);
  let page;
  if (route.page === 'service')
    page = html`<${ServicePage} key=${route.service} route=${route} registry=${registry} auth=${auth} />`;
  else if (route.page === 'pubsub') page = html`<${PubSubPage} registry=${registry} auth=${auth} />`;
  else page = html`<${FleetPage} registry=${registry} auth=${auth} />`;
  return html`<a class="skip" href="#main" onClick=${skip}>Skip to content</a>
    <${Header} route=${route} live=${registry.live} loaded=${registry.loaded} />
    ${auth.needToken && html`<${TokenPrompt} />`}
    <main id="main">${page}</main>`;
}

function skip(event) {
  event.preventDefault();
  document.querySelector('main h1')?.focus();
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
