// The pub/sub page (#/pubsub): publish a JSON message (and metadata) to a topic through api/publish;
// subscribe to a topic through the api/subscribe EventSource and watch its messages arrive. Topics
// the registry's subscriber endpoints announce are offered as suggestions.
import { useEffect, useState } from 'preact/hooks';
import { api, errorJson, openEvents } from './api.js';
import { html } from './html.js';
import { ErrorPanel, JsonView, MetadataRows, metadataOf } from './parts.js';

const MAX_MESSAGES = 200;

/** Topics subscribers announce in the registry (endpoint metadata `topic`), sorted. */
export function knownTopics(services) {
  const topics = new Set();
  for (const s of services)
    for (const e of s.endpoints ?? []) if (e.metadata?.topic) topics.add(e.metadata.topic);
  return [...topics].toSorted();
}

function Publish() {
  const [topic, setTopic] = useState('');
  const [text, setText] = useState('{}');
  const [rows, setRows] = useState([]);
  const [result, setResult] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    let message;
    try {
      message = JSON.parse(text);
    } catch (e) {
      setResult({
        error: {
          id: 'dashboard',
          code: 400,
          detail: `the message is not JSON: ${e.message}`,
          status: 'Bad Request',
        },
      });
      return;
    }
    const body = { topic: topic.trim(), message };
    const metadata = metadataOf(rows);
    if (Object.keys(metadata).length) body.metadata = metadata;
    setResult({ pending: true });
    try {
      await api('publish', { body });
      setResult({ ok: `Published to ${body.topic} at ${new Date().toLocaleTimeString()}` });
    } catch (e) {
      setResult({ error: errorJson(e) });
    }
  };
  return html`<section class="panel" aria-labelledby="publish-title">
    <h2 id="publish-title">Publish</h2>
    <form onSubmit=${submit}>
      <div class="field">
        <label for="publish-topic">Topic</label>
        <input
          id="publish-topic"
          list="topics"
          required
          value=${topic}
          onInput=${(e) => setTopic(e.target.value)}
        />
      </div>
      <div class="field">
        <label for="publish-message">Message (JSON)</label>
        <textarea
          id="publish-message"
          class="mono"
          rows="6"
          value=${text}
          onInput=${(e) => setText(e.target.value)}
        ></textarea>
      </div>
      <${MetadataRows} rows=${rows} onChange=${setRows} prefix="publish" />
      <button type="submit" class="primary">Publish</button>
    </form>
    <div aria-live="polite" data-testid="publish-result">
      ${result?.pending && html`<p class="muted">Publishing…</p>`}
      ${result?.ok && html`<p class="ok-text">${result.ok}</p>`}
      ${result?.error && html`<${ErrorPanel} error=${result.error} title="Publishing failed" />`}
    </div>
  </section>`;
}

function Subscribe({ authVersion }) {
  const [topic, setTopic] = useState('');
  const [active, setActive] = useState('');
  const [state, setState] = useState('');
  const [messages, setMessages] = useState([]);
  useEffect(() => {
    if (!active) return undefined;
    setMessages([]);
    return openEvents(
      'subscribe',
      { topic: active },
      ['message'],
      (_name, data) => setMessages((m) => [data, ...m].slice(0, MAX_MESSAGES)),
      (s) => setState(s),
    );
  }, [active, authVersion]);
  const submit = (event) => {
    event.preventDefault();
    setState('');
    setActive(active ? '' : topic.trim());
  };
  return html`<section class="panel" aria-labelledby="subscribe-title">
    <h2 id="subscribe-title">Subscribe</h2>
    <form onSubmit=${submit} class="inline-form">
      <div class="field">
        <label for="subscribe-topic">Topic</label>
        <input
          id="subscribe-topic"
          list="topics"
          required
          disabled=${!!active}
          value=${topic}
          onInput=${(e) => setTopic(e.target.value)}
        />
      </div>
      <button type="submit">${active ? 'Unsubscribe' : 'Subscribe'}</button>
    </form>
    <p role="status" data-testid="subscribe-status">
      ${active ? (state === 'open' ? `Subscribed to ${active}.` : `Subscribing to ${active}…`) : 'Not subscribed.'}
      ${active && ` ${messages.length} message${messages.length === 1 ? '' : 's'}.`}
    </p>
    <ol class="messages" aria-live="polite" aria-label="Messages" data-testid="messages">
      ${messages.map(
        (m, i) =>
          html`<li key=${messages.length - i}>
            <div class="muted small">
              ${new Date(m.at).toLocaleTimeString()} · ${m.topic}
              ${Object.entries(m.metadata ?? {}).map(([k, v]) => html` <span class="pill" key=${k}>${k}: ${v}</span>`)}
            </div>
            <${JsonView} value=${m.message} label=${`Message on ${m.topic}`} />
          </li>`,
      )}
    </ol>
  </section>`;
}

export function PubSubPage({ registry, auth }) {
  return html`<h1 tabindex="-1">Pub/Sub</h1>
    <datalist id="topics">
      ${knownTopics(registry.services).map((t) => html`<option key=${t} value=${t}></option>`)}
    </datalist>
    <div class="two">
      <${Publish} />
      <${Subscribe} authVersion=${auth.version} />
    </div>`;
}
