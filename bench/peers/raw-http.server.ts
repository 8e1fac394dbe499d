/** Baseline peer: a raw `node:http` keep-alive server answering POST / with the echo. */
import { createServer } from 'node:http';

const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string };
      const out = JSON.stringify({ msg: `Hello ${body.name}` });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    } catch {
      res.writeHead(400).end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => console.log('READY'));
process.on('SIGTERM', () => process.exit(0));
