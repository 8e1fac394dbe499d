/**
 * Baseline peer: one `net` connection, newline-delimited JSON, pipelined — every worker's request
 * is written at once and replies are matched in order (FIFO).
 */
import { connect } from 'node:net';
import { isHello, REQUEST, runClient } from '../load.js';

const socket = connect({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT), noDelay: true });
await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
socket.setEncoding('utf8');
const waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
let rest = '';
socket.on('data', (chunk: string) => {
  const text = rest + chunk;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    const line = text.slice(start, nl);
    start = nl + 1;
    const w = waiting.shift();
    try {
      w?.resolve(JSON.parse(line));
    } catch (error) {
      w?.reject(error as Error);
    }
  }
  rest = text.slice(start);
});
socket.on('close', () => {
  for (const w of waiting.splice(0)) w.reject(new Error('connection closed'));
});
const line = JSON.stringify(REQUEST) + '\n';

await runClient(
  () =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      socket.write(line);
    }),
  isHello,
);
socket.destroy();
