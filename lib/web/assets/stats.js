// The numbers of a service page: api/stats polled every 2 s while the page is open, turned into
// windowed rates and latency percentiles by diffing two polls of each node's Debug.Stats counters
// (requests, errors) and latency histogram, charted with uPlot; the nodes' own figures and the chaos
// of the moment (ejected nodes, open breakers) beside them.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api, errorJson } from './api.js';
import { html } from './html.js';
import { ErrorPanel } from './parts.js';
import { windowOf } from './windows.js';

const POLL_MS = 2_000;
const HISTORY = 150;

function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** 'dark' or 'light', following prefers-color-scheme (the canvas takes its colours when drawn). */
function useColorScheme() {
  const query = matchMedia('(prefers-color-scheme: dark)');
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const onChange = (event) => setDark(event.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return dark ? 'dark' : 'light';
}

/** A uPlot time chart of `series` (label, stroke) over `data` ([x, ...ys]). */
function Chart({ title, unit, series, data, testid }) {
  const box = useRef(null);
  const plot = useRef(null);
  const scheme = useColorScheme();
  useEffect(() => {
    const el = box.current;
    const text = cssVar('--text', '#222');
    const grid = cssVar('--grid', 'rgba(128,128,128,0.2)');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    plot.current = new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: 180,
        scales: {
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [axis, { ...axis, label: unit, size: 56 }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: false }))],
        legend: { live: true },
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: 180 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [scheme]);
  useEffect(() => {
    const p = plot.current;
    const x = data[0];
    if (!p || x.length === 0) return;
    p.setData(data);
    // at least the last minute, so the first points do not stretch the time axis over years
    const high = x[x.length - 1];
    p.setScale('x', { min: Math.min(x[0], high - 60), max: high });
  }, [data, scheme]);
  return html`<figure class="chart" data-testid=${testid}>
    <figcaption>${title}</figcaption>
    <div ref=${box} aria-hidden="true"></div>
  </figure>`;
}

const fixed = (n, digits = 1) => (n === null || n === undefined ? 'n/a' : n.toFixed(digits));
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function NodeStats({ nodes }) {
  return html`<table class="compact" data-testid="node-stats">
    <caption>
      Nodes
    </caption>
    <thead>
      <tr>
        <th scope="col">Node</th>
        <th scope="col">Address</th>
        <th scope="col">Uptime</th>
        <th scope="col">Memory</th>
        <th scope="col">Requests</th>
        <th scope="col">Errors</th>
      </tr>
    </thead>
    <tbody>
      ${nodes.map(
        (n) =>
          html`<tr key=${n.id}>
            <th scope="row" class="small">${n.id}</th>
            <td><code>${n.address}</code></td>
            ${
              n.stats
                ? html`<td>${n.stats.uptime}s</td>
                    <td>${mib(n.stats.memory)}</td>
                    <td>${n.stats.requests}</td>
                    <td>${n.stats.errors}</td>`
                : html`<td colspan="4" class="error-text">
                    ${n.error ? `${n.error.code} ${n.error.status}: ${n.error.detail}` : 'no answer'}
                  </td>`
            }
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function Chaos({ chaos }) {
  const ejected = chaos?.ejected ?? [];
  const breakers = chaos?.breakers ?? [];
  return html`<section class="chaos" aria-labelledby="chaos-title" data-testid="chaos">
    <h3 id="chaos-title">Chaos</h3>
    ${ejected.length === 0 && breakers.length === 0 && html`<p class="muted">No ejected node, no open breaker.</p>`}
    ${
      ejected.length > 0 &&
      html`<h4>Ejected nodes</h4>
        <ul>
          ${ejected.map((e) => html`<li key=${`${e.service}/${e.node}`}>${e.service} <code>${e.address}</code> <span class="muted">${e.node}</span></li>`)}
        </ul>`
    }
    ${
      breakers.length > 0 &&
      html`<h4>Circuit breakers</h4>
        <ul>
          ${breakers.map(
            (b) =>
              html`<li key=${`${b.service}/${b.endpoint ?? ''}`}>
                <span class=${`badge ${b.state === 'open' ? 'not_serving' : 'pending'}`}>${b.state}</span>${' '}
                ${b.service}${b.endpoint ? ` ${b.endpoint}` : ''}
              </li>`,
          )}
        </ul>`
    }
  </section>`;
}

export function StatsPanel({ service, auth }) {
  const [latest, setLatest] = useState(null);
  const [error, setError] = useState(null);
  const [history, setHistory] = useState(() => [[], [], [], [], [], [], []]);
  const previous = useRef(null);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const answer = await api('stats', { params: { service } });
        if (stopped || !answer) return;
        setError(null);
        setLatest(answer);
        const window = previous.current ? windowOf(previous.current, answer) : null;
        previous.current = answer;
        if (window)
          setHistory((h) => {
            const row = [window.at, window.rate, window.errorRate, window.p50, window.p90, window.p99];
            return h
              .slice(0, 6)
              .map((column, i) => [...column, row[i]].slice(-HISTORY))
              .concat([[window]]);
          });
      } catch (e) {
        if (!stopped) setError(errorJson(e));
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [service, auth.version]);
  const [x, rate, errorRate, p50, p90, p99, last] = history;
  const now = last[0];
  const hasLatency = latest?.nodes.some((n) => n.stats?.latency) ?? false;
  return html`<section class="stats" aria-labelledby="stats-title">
    <h2 id="stats-title">Numbers</h2>
    ${error && html`<${ErrorPanel} error=${error} title="Stats unavailable" />`}
    <p class="summary" data-testid="stats-summary">
      ${
        now
          ? `${fixed(now.rate)} calls/s, ${fixed(now.errorRate)} errors/s${now.rate > 0 ? ` (${fixed((100 * now.errorRate) / now.rate)}%)` : ''}; latency p50 ${fixed(now.p50)} ms, p90 ${fixed(now.p90)} ms, p99 ${fixed(now.p99)} ms`
          : 'Collecting: the first figures appear after two polls (4 s).'
      }
    </p>
    <div class="charts">
      <${Chart}
        title="Calls and errors per second"
        unit="per s"
        testid="chart-rate"
        series=${[
          { label: 'calls/s', stroke: '#2563eb' },
          { label: 'errors/s', stroke: '#dc2626' },
        ]}
        data=${[x, rate, errorRate]}
      />
      <${Chart}
        title=${hasLatency ? 'Latency (ms)' : 'Latency: n/a (these nodes report no latency histogram)'}
        unit="ms"
        testid="chart-latency"
        series=${[
          { label: 'p50', stroke: '#16a34a' },
          { label: 'p90', stroke: '#d97706' },
          { label: 'p99', stroke: '#9333ea' },
        ]}
        data=${[x, p50, p90, p99]}
      />
    </div>
    ${latest && html`<${NodeStats} nodes=${latest.nodes} />`}
    ${latest && html`<${Chaos} chaos=${latest.chaos} />`}
  </section>`;
}
