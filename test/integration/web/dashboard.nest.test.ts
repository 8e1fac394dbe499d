// MicroDashboardModule in a Nest HTTP app under a prefix: the page (and the redirect to the
// prefix's trailing slash, so the page's relative URLs resolve), the API through the app's body
// parser, the token, and a stream over the WebSocket upgrade the module takes from the app's server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroDashboardModule } from '../../../lib/index.js';
import { SseReader, startWebApps, StreamSocket } from './web.helpers.js';

describe('MicroDashboardModule mounted under /dash', () => {
  let apps: Awaited<ReturnType<typeof startWebApps>>;
  let base: string;

  beforeAll(async () => {
    apps = await startWebApps([
      MicroDashboardModule.forRoot({ prefix: 'dash', token: 't0k', rateLimit: false }),
    ]);
    const app = apps.caller;
    await app.listen(0, '127.0.0.1');
    base = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/dash`;
  });

  let closed = false;
  afterAll(async () => {
    if (!closed) await apps?.close();
  });

  it('serves the page under the prefix, redirecting the bare prefix to its trailing slash', async () => {
    const bare = await fetch(base, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/dash/');
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="importmap">');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await fetch(`${base}/vendor/htm.mjs`)).status).toBe(200);
  });

  it('answers the API with the token, through the app body parser', async () => {
    expect((await fetch(`${base}/api/services`)).status).toBe(401);
    const res = await fetch(`${base}/api/call`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer t0k' },
      body: JSON.stringify({ service: 'chat', endpoint: 'Greeter.Hello', request: { name: 'Bo' } }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ reply: { message: 'Hello Bo' } });
  });

  it("streams over the WebSocket taken from the app's HTTP server", async () => {
    const ws = base.replace('http', 'ws');
    expect(await StreamSocket.refused(`${ws}/api/stream?service=chat&endpoint=Chat.Echo`)).toBe(401);
    const socket = await StreamSocket.open(`${ws}/api/stream?service=chat&endpoint=Chat.Echo&token=t0k`);
    socket.send({ type: 'send', data: { n: 7 } });
    socket.send({ type: 'end' });
    await socket.closed;
    expect(socket.frames).toEqual([{ type: 'message', data: { n: 7 } }, { type: 'end' }]);
  });

  it('lets the app close while live feeds are open (the module ends them first)', async () => {
    const events = await SseReader.open(`${base}/api/events?token=t0k`);
    const messages = await SseReader.open(`${base}/api/subscribe?topic=web.nest&token=t0k`);
    await events.next((e) => e.event === 'services');
    closed = true;
    await apps.close();
    await Promise.all([events.ended, messages.ended]);
  });
});
