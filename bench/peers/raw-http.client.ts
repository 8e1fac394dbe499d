/** Baseline peer: `node:http` requests over a keep-alive Agent (one socket per worker). */
import { Agent, request } from 'node:http';
import { isHello, REQUEST, runClient } from '../load.js';

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
const port = Number(process.env.BENCH_PORT);
const body = JSON.stringify(REQUEST);
const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };

const call = (): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });

await runClient(call, isHello);
agent.destroy();
