// htm bound to Preact's h: every component writes html`<tag>…</tag>` (no JSX, no build step).
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
