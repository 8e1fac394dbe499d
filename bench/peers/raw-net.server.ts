/**
 * Baseline peer: a raw `net` server speaking newline-delimited JSON. Each chunk's complete lines
 * are answered in order with one write. Listens on 127.0.0.1:BENCH_PORT; prints READY.
 */
import { createServer } from 'node:net';

const server = createServer({ noDelay: true }, (socket) => {
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const text = rest + chunk;
    let out = '';
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      try {
        const req = JSON.parse(line) as { name: string };
        out += JSON.stringify({ msg: `Hello ${req.name}` }) + '\n';
      } catch {
        out += JSON.stringify({ error: 'bad request' }) + '\n';
      }
    }
    rest = text.slice(start);
    if (out) socket.write(out);
  });
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => console.log('READY'));
process.on('SIGTERM', () => process.exit(0));
