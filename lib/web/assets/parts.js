// Small pieces the pages share: the MicroError panel, pretty JSON, metadata key/value rows, a
// copyable command line, and the shell quoting the commands need.
import { useState } from 'preact/hooks';
import { html } from './html.js';

/** A go-micro error (id, code, detail, status) shown as an alert. */
export function ErrorPanel({ error, title = 'Error' }) {
  return html`<div class="error-panel" role="alert" data-testid="error">
    <strong>${title}: ${error.code} ${error.status}</strong>
    <dl>
      <dt>id</dt>
      <dd><code>${error.id}</code></dd>
      <dt>code</dt>
      <dd><code>${error.code}</code></dd>
      <dt>status</dt>
      <dd><code>${error.status}</code></dd>
      <dt>detail</dt>
      <dd>${error.detail}</dd>
    </dl>
  </div>`;
}

export function JsonView({ value, label, testid }) {
  return html`<pre class="json" aria-label=${label} data-testid=${testid}>
${JSON.stringify(value ?? null, null, 2)}</pre>`;
}

/** `rows` is [[key, value], …]; empty keys are ignored by `metadataOf`. */
export function metadataOf(rows) {
  const metadata = {};
  for (const [key, value] of rows) if (key.trim()) metadata[key.trim()] = value;
  return metadata;
}

export function MetadataRows({ rows, onChange, prefix }) {
  const set = (i, column, v) =>
    onChange(rows.map((row, j) => (j === i ? (column === 0 ? [v, row[1]] : [row[0], v]) : row)));
  return html`<fieldset class="metadata">
    <legend>Metadata</legend>
    ${rows.length === 0 && html`<p class="muted small">No metadata.</p>`}
    ${rows.map(
      ([key, value], i) =>
        html`<div class="row" key=${i}>
          <label class="sr-only" for=${`${prefix}-mk-${i}`}>Metadata key ${i + 1}</label>
          <input
            id=${`${prefix}-mk-${i}`}
            placeholder="key"
            value=${key}
            onInput=${(e) => set(i, 0, e.target.value)}
          />
          <label class="sr-only" for=${`${prefix}-mv-${i}`}>Metadata value ${i + 1}</label>
          <input
            id=${`${prefix}-mv-${i}`}
            placeholder="value"
            value=${value}
            onInput=${(e) => set(i, 1, e.target.value)}
          />
          <button type="button" class="small" onClick=${() => onChange(rows.filter((_, j) => j !== i))}>
            Remove metadata ${i + 1}
          </button>
        </div>`,
    )}
    <button type="button" class="small" onClick=${() => onChange([...rows, ['', '']])}>Add metadata</button>
  </fieldset>`;
}

/** Quotes `text` for a POSIX shell. */
export function shellQuote(text) {
  return /^[A-Za-z0-9_./:@=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function CopyCommand({ label, command, testid }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied('Copied');
    } catch {
      setCopied('Select the text to copy it');
    }
    setTimeout(() => setCopied(''), 2_000);
  };
  return html`<div class="command">
    <span class="command-label">${label}</span>
    <code data-testid=${testid}>${command}</code>
    <button type="button" class="small" onClick=${copy} aria-label=${`Copy ${label}`}>Copy</button>
    <span class="muted small" aria-live="polite">${copied}</span>
  </div>`;
}
