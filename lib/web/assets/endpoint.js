// One endpoint on the service page: its request/response trees, the request editor (generated
// form or raw JSON), metadata and timeout, then either a call (api/call: the reply pretty-printed or
// the MicroError) or, for a stream endpoint, the stream panel (api/stream WebSocket: send, end,
// cancel, replies as they arrive); and the equivalent `nest-micro` and curl commands to copy.
import { useEffect, useRef, useState } from 'preact/hooks';
import { absoluteApiUrl, api, errorJson, token, wsUrl } from './api.js';
import { RequestEditor } from './form.js';
import { html } from './html.js';
import { CopyCommand, ErrorPanel, JsonView, MetadataRows, metadataOf, shellQuote } from './parts.js';

const MAX_REPLIES = 500;

/** The Value tree as a nested list: name and type per field. */
export function ValueTree({ value, label }) {
  if (!value) return html`<p class="muted small">${label}: not announced</p>`;
  const items = (values) =>
    html`<ul class="tree">
      ${values.map(
        (v) =>
          html`<li key=${v.name}>
            <span>${v.name}</span> <span class="type">${v.type}</span>
            ${v.values?.length ? items(v.values) : null}
          </li>`,
      )}
    </ul>`;
  return html`<div class="value-tree">
    <span class="tree-head">${label} <span class="type">${value.type || value.name}</span></span>
    ${value.values?.length ? items(value.values) : null}
  </div>`;
}

function exampleOf(endpoint) {
  try {
    const parsed = endpoint.metadata?.example ? JSON.parse(endpoint.metadata.example) : undefined;
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

/** The `nest-micro` command and the curl command that do what the form does. */
function Commands({ service, endpoint, stream, request, metadata, timeout }) {
  const json = JSON.stringify(request ?? {});
  const flags = [
    ...Object.entries(metadata).map(([k, v]) => `-m ${shellQuote(`${k}:${v}`)}`),
    ...(timeout ? [`-t ${timeout}ms`] : []),
  ].join(' ');
  const cli = stream
    ? `echo ${shellQuote(json)} | nest-micro stream ${shellQuote(service)} ${shellQuote(endpoint.name)}${flags ? ` ${flags}` : ''}`
    : `nest-micro call ${shellQuote(service)} ${shellQuote(endpoint.name)} ${shellQuote(json)}${flags ? ` ${flags}` : ''}`;
  const body = { service, endpoint: endpoint.name, request: request ?? {} };
  if (Object.keys(metadata).length) body.metadata = metadata;
  if (timeout) body.timeout = timeout;
  const auth = token() ? ` -H "Authorization: Bearer $DASHBOARD_TOKEN"` : '';
  const curl = `curl -sS -X POST ${shellQuote(absoluteApiUrl('call'))} -H 'Content-Type: application/json'${auth} -d ${shellQuote(JSON.stringify(body))}`;
  return html`<section class="commands" aria-label="Commands">
    <${CopyCommand} label="nest-micro" command=${cli} testid="cli-command" />
    ${!stream && html`<${CopyCommand} label="curl" command=${curl} testid="curl-command" />`}
  </section>`;
}

function CallResult({ result }) {
  if (!result) return null;
  if (result.pending) return html`<p class="muted">Calling…</p>`;
  if (result.error) return html`<${ErrorPanel} error=${result.error} title="The call failed" />`;
  return html`<div class="reply" data-testid="reply">
    <h3>Reply <span class="muted small">${Math.round(result.ms * 10) / 10} ms</span></h3>
    <${JsonView} value=${result.reply} label="Reply JSON" testid="reply-json" />
  </div>`;
}

function StreamPanel({ service, endpoint, request, metadata, timeout }) {
  const socket = useRef(null);
  const [status, setStatus] = useState('closed');
  const [replies, setReplies] = useState([]);
  const [sent, setSent] = useState(0);
  const [error, setError] = useState(null);
  useEffect(() => () => socket.current?.close(), []);

  const open = () => {
    socket.current?.close();
    setReplies([]);
    setSent(0);
    setError(null);
    setStatus('opening');
    const params = { service, endpoint: endpoint.name };
    if (Object.keys(metadata).length) params.metadata = JSON.stringify(metadata);
    if (timeout) params.timeout = timeout;
    const ws = new WebSocket(wsUrl('stream', params));
    socket.current = ws;
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      setStatus('open');
    });
    ws.addEventListener('message', (event) => {
      if (socket.current !== ws) return; // cancelled here: what the server still says is not shown
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === 'message') setReplies((r) => [...r, frame.data].slice(-MAX_REPLIES));
      else if (frame.type === 'error') setError(frame.error);
      else if (frame.type === 'end') setStatus('ended by the service');
    });
    ws.addEventListener('close', () => {
      if (socket.current !== ws) return;
      socket.current = null;
      setStatus((s) => (s === 'open' || s === 'half-closed' || s === 'opening' ? 'closed' : s));
      if (!opened) {
        // refused before the upgrade (401, 404, 429): a plain request says why
        api('services')
          .then(() =>
            setError({
              id: 'dashboard',
              code: 0,
              detail: 'the server refused to open the stream',
              status: 'Refused',
            }),
          )
          .catch((e) => setError(errorJson(e)));
      }
    });
  };
  const sendFrame = (frame) => {
    if (socket.current?.readyState !== WebSocket.OPEN) return false;
    socket.current.send(JSON.stringify(frame));
    return true;
  };
  const send = () => {
    if (sendFrame({ type: 'send', data: request ?? {} })) setSent((n) => n + 1);
  };
  const end = () => {
    if (sendFrame({ type: 'end' })) setStatus('half-closed');
  };
  // a server stream takes one request: send it and say there is no more
  const sendAndEnd = () => {
    send();
    end();
  };
  const cancel = () => {
    sendFrame({ type: 'cancel' });
    setStatus('cancelled');
    const ws = socket.current;
    socket.current = null;
    setTimeout(() => ws?.close(), 200);
  };
  const isOpen = status === 'open' || status === 'half-closed';
  return html`<section class="stream" aria-label="Stream" data-testid="stream-panel">
    <div class="buttons">
      <button type="button" onClick=${open} disabled=${isOpen || status === 'opening'}>Open stream</button>
      <button type="button" onClick=${send} disabled=${status !== 'open'}>Send</button>
      <button type="button" onClick=${sendAndEnd} disabled=${status !== 'open'}>Send and end</button>
      <button type="button" onClick=${end} disabled=${status !== 'open'}>End sending</button>
      <button type="button" onClick=${cancel} disabled=${!isOpen} class="danger">Cancel stream</button>
    </div>
    <p role="status" data-testid="stream-status">
      Stream ${status}; ${sent} sent, ${replies.length} received.
    </p>
    ${error && html`<${ErrorPanel} error=${error} title="The stream failed" />`}
    <ol class="replies" aria-live="polite" aria-label="Replies" data-testid="stream-replies">
      ${replies.map((reply, i) => html`<li key=${i}><${JsonView} value=${reply} label=${`Reply ${i + 1}`} /></li>`)}
    </ol>
  </section>`;
}

export function EndpointPanel({ service, endpoint }) {
  const stream = endpoint.metadata?.stream === 'true';
  const prefix = `ep-${endpoint.name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const [request, setRequest] = useState(() => exampleOf(endpoint));
  const [rows, setRows] = useState([]);
  const [timeout, setTimeoutMs] = useState('');
  const [result, setResult] = useState(null);
  const metadata = metadataOf(rows);
  const ms = timeout === '' ? undefined : Number(timeout);

  const call = async (event) => {
    event.preventDefault();
    if (stream) return;
    setResult({ pending: true });
    const body = { service, endpoint: endpoint.name, request: request ?? {} };
    if (Object.keys(metadata).length) body.metadata = metadata;
    if (ms) body.timeout = ms;
    try {
      const answer = await api('call', { body });
      setResult({ reply: answer?.reply, ms: answer?.ms ?? 0 });
    } catch (error) {
      setResult({ error: errorJson(error) });
    }
  };

  return html`<article class="endpoint" aria-labelledby=${`${prefix}-name`}>
    <h2 id=${`${prefix}-name`}>
      ${endpoint.name} ${stream && html`<span class="badge stream-badge">stream</span>`}
    </h2>
    <div class="trees">
      <${ValueTree} value=${endpoint.request} label="request" />
      <${ValueTree} value=${endpoint.response} label="response" />
    </div>
    ${
      Object.keys(endpoint.metadata ?? {}).length > 0 &&
      html`<p class="muted small">
        ${Object.entries(endpoint.metadata).map(([k, v]) => html`<span class="pill" key=${k}>${k}: ${v}</span> `)}
      </p>`
    }
    <form class="call-form" onSubmit=${call} aria-label=${`${stream ? 'Stream' : 'Call'} ${endpoint.name}`}>
      <${RequestEditor}
        key=${endpoint.name}
        tree=${endpoint.request}
        value=${request}
        onChange=${setRequest}
        prefix=${prefix}
      />
      <${MetadataRows} rows=${rows} onChange=${setRows} prefix=${prefix} />
      <div class="field inline">
        <label for=${`${prefix}-timeout`}>Timeout (ms)</label>
        <input
          id=${`${prefix}-timeout`}
          type="number"
          min="1"
          step="1"
          placeholder="default"
          value=${timeout}
          onInput=${(e) => setTimeoutMs(e.target.value)}
        />
      </div>
      ${!stream && html`<button type="submit" class="primary">Call ${endpoint.name}</button>`}
    </form>
    ${
      stream
        ? html`<${StreamPanel}
            service=${service}
            endpoint=${endpoint}
            request=${request}
            metadata=${metadata}
            timeout=${ms}
          />`
        : html`<div aria-live="polite" class="result"><${CallResult} result=${result} /></div>`
    }
    <${Commands}
      service=${service}
      endpoint=${endpoint}
      stream=${stream}
      request=${request}
      metadata=${metadata}
      timeout=${ms}
    />
  </article>`;
}
