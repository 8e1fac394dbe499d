/** Issue 6 over the HTTP transport (go-micro's Micro-Stream framing on a connection per stream). */
import { streamingSuite } from './streaming.suite.js';

streamingSuite('http');
