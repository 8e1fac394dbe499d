// The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core, never a
// browser download) against real Nest services on mDNS (a private port on 127.0.0.1): the fleet
// changes live as a service starts and stops, the generated form calls an endpoint, a MicroError
// is shown, a stream is opened/sent/cancelled, a published message reaches a subscription, a token
// is asked for on 401, the page works under a prefix of a Nest app (MicroDashboardModule), the
// keyboard reaches everything, and no request leaves the dashboard's origin. Screenshots of each
// page, light and dark, go to test-results/screenshots/ (git-ignored) for a person to look at.
import 'reflect-metadata';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Module, type INestMicroservice, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RpcCaller } from '../../../lib/core/client/rpc-caller.js';
import { createRegistry } from '../../../lib/core/registry/index.js';
import { MicroClient, MicroDashboardModule, MicroModule, MicroServer } from '../../../lib/index.js';
import { resolveOptions, type ResolvedOptions } from '../../../lib/nest/options.js';
import { MicroDashboard } from '../../../lib/web/index.js';
import { freePort } from '../../support/ports.js';
import { requireBinary, waitFor } from '../../support/processes.js';
import { DashGreeter, LateService, TOPIC } from './dashboard.fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = 'test-results/screenshots';
const chromiumCheck = requireBinary('chromium', existsSync(CHROMIUM) ? CHROMIUM : undefined);

async function startService(
  mdns: string,
  name: string,
  controller: Type<unknown>,
): Promise<INestMicroservice> {
  @Module({
    imports: [
      MicroModule.forRoot({
        name,
        address: '127.0.0.1:0',
        registry: createRegistry('mdns', mdns),
        env: false,
      }),
    ],
    controllers: [controller],
  })
  class ServiceModule {}
  const app = (await Test.createTestingModule({ imports: [ServiceModule] }).compile()).createNestMicroservice(
    {
      ...MicroServer.fromModule(),
      logger: ['error'],
    },
  );
  await app.listen();
  return app;
}

// generous bounds: the whole test run shares two cores with a browser; a wait that ends early is fine
describe.skipIf(chromiumCheck.skip)('dashboard in headless Chromium', { timeout: 90_000 }, () => {
  let mdns: string;
  let greeter: INestMicroservice;
  let plugins: ResolvedOptions;
  let client: MicroClient;
  let dashboard: MicroDashboard;
  let guarded: MicroDashboard;
  let base: string;
  let guardedBase: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const foreign: string[] = [];
  const pageErrors: string[] = [];

  /** Every request the page makes must go to the dashboard's own origin. */
  const watchOrigin = (p: Page, origin: string): void => {
    const host = new URL(origin).host;
    p.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    p.on('websocket', (ws) => {
      if (new URL(ws.url()).host !== host) foreign.push(ws.url());
    });
    // script errors and CSP refusals (HTTP errors are not: the 401 and 409 scenarios cause them)
    p.on('pageerror', (error) => pageErrors.push(error.message));
    p.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(message.text());
    });
  };

  const shoot = async (name: string): Promise<void> => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: `${SHOTS}/${name}-light.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${SHOTS}/${name}-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    mdns = `127.0.0.1:${await freePort()}`;
    greeter = await startService(mdns, 'dash-greeter', DashGreeter);
    // the dashboard's own registry, transport and broker, as `nest-micro web` makes them
    plugins = resolveOptions({ name: 'dash-web', registry: createRegistry('mdns', mdns), env: false });
    client = new MicroClient(plugins);
    const parts = { client, registry: plugins.registry, broker: plugins.broker, rateLimit: false } as const;
    dashboard = new MicroDashboard(parts);
    base = `http://${await dashboard.listen('127.0.0.1:0')}/`;
    guarded = new MicroDashboard({ ...parts, token: 'sesame' });
    guardedBase = `http://${await guarded.listen('127.0.0.1:0')}/`;
    await waitFor(
      async () =>
        ((await (await fetch(`${base}api/services`)).json()) as { services: unknown[] }).services.length > 0,
      30_000,
      'dash-greeter seen by the dashboard',
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    watchOrigin(page, base);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await guarded?.close();
    await plugins?.broker.disconnect().catch(() => undefined);
    await client?.unwrap<RpcCaller>().close();
    plugins?.selector.close();
    await Promise.allSettled([plugins?.transport.close(), plugins?.registry.close?.()]);
    await greeter?.close();
  });

  it('lists the fleet and follows a service that starts and stops, without a reload', async () => {
    await page.goto(base);
    await page.getByRole('link', { name: 'dash-greeter' }).waitFor();
    await page.getByText('serving').first().waitFor();
    const late = await startService(mdns, 'dash-late', LateService);
    try {
      await page.getByRole('link', { name: 'dash-late' }).waitFor({ timeout: 40_000 });
      await shoot('fleet');
    } finally {
      await late.close();
    }
    await page.getByRole('link', { name: 'dash-late' }).waitFor({ state: 'detached', timeout: 40_000 });
    expect(await page.getByRole('link', { name: 'dash-greeter' }).count()).toBe(1);
  });

  it('calls an endpoint through the form generated from its request tree', async () => {
    await page.getByRole('link', { name: 'dash-greeter' }).click();
    await page.getByRole('heading', { name: 'dash-greeter', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Greeter.Hello' }).click();
    await page.getByLabel('name string').fill('Ada');
    await page.getByLabel('age int64').fill('36');
    await page.getByLabel('loud bool').check();
    await page.getByRole('button', { name: 'Add to tags' }).click();
    await page.getByLabel('tags[0]').fill('math');
    await page.getByLabel('city string').fill('London');
    await page.getByRole('button', { name: 'Call Greeter.Hello' }).click();
    const reply = page.getByTestId('reply-json');
    await reply.waitFor();
    expect(JSON.parse((await reply.textContent()) ?? '')).toEqual({
      msg: 'HELLO ADA (36) FROM LONDON [MATH]',
    });
    // the same request as commands to copy, and as raw JSON
    const cli = await page.getByTestId('cli-command').textContent();
    expect(cli).toContain(`nest-micro call dash-greeter Greeter.Hello '`);
    expect(cli).toContain('"name":"Ada"');
    expect(await page.getByTestId('curl-command').textContent()).toContain(`${base}api/call`);
    await page.getByRole('button', { name: 'Raw JSON' }).click();
    expect(JSON.parse(await page.getByLabel('Request JSON').inputValue())).toEqual({
      name: 'Ada',
      age: 36,
      loud: true,
      tags: ['math'],
      address: { city: 'London' },
    });
    await page.getByTestId('stats-summary').getByText('calls/s').waitFor({ timeout: 40_000 });
    await shoot('service');
  });

  it('shows a MicroError with its id, code, detail and status', async () => {
    await page.getByRole('link', { name: 'Greeter.Fail' }).click();
    await page.getByRole('button', { name: 'Call Greeter.Fail' }).click();
    const error = page.getByTestId('error');
    await error.waitFor();
    const text = (await error.textContent()) ?? '';
    expect(text).toContain('409');
    expect(text).toContain('Conflict');
    expect(text).toContain('dash-greeter.fail');
    expect(text).toContain('name already taken');
  });

  it('opens a stream, sends, sees each reply as it arrives, and cancels', async () => {
    await page.getByRole('link', { name: 'Greeter.Echo' }).click();
    await page.getByRole('button', { name: 'Open stream' }).click();
    await page.getByTestId('stream-status').getByText('Stream open').waitFor();
    const replies = page.getByTestId('stream-replies').locator('li');
    for (const text of ['one', 'two']) {
      await page.getByLabel('text string').fill(text);
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await replies.getByText(`echo: ${text}`).waitFor();
    }
    expect(await replies.count()).toBe(2);
    await shoot('stream');
    await page.getByRole('button', { name: 'Cancel stream' }).click();
    await page.getByTestId('stream-status').getByText('Stream cancelled').waitFor();
    expect(await page.getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true);
    // as for a server stream: one request, then the end of ours; the service ends the stream
    await page.getByRole('button', { name: 'Open stream' }).click();
    await page.getByLabel('text string').fill('last');
    await page.getByRole('button', { name: 'Send and end' }).click();
    await replies.getByText('echo: last').waitFor();
    await page.getByTestId('stream-status').getByText('Stream ended by the service').waitFor();
  });

  it('publishes to a topic and shows the message on a subscription', async () => {
    await page.getByRole('link', { name: 'Pub/Sub' }).click();
    await page.getByRole('heading', { name: 'Pub/Sub', level: 1 }).waitFor();
    await page.getByLabel('Topic').nth(1).fill(TOPIC);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByTestId('subscribe-status').getByText(`Subscribed to ${TOPIC}.`).waitFor();
    await page.getByLabel('Topic').first().fill(TOPIC);
    await page.getByLabel('Message (JSON)').fill('{"hello":"world"}');
    const messages = page.getByTestId('messages').locator('li');
    // the broker's subscription may lag the stream's opening: publish until one arrives
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Publish' }).click();
        await page.getByTestId('publish-result').getByText('Published').waitFor();
        await messages.first().waitFor({ timeout: 2_000 });
        return true;
      },
      40_000,
      'a subscribed message',
    );
    expect(await messages.first().textContent()).toContain('"hello": "world"');
    await shoot('pubsub');
  });

  it('asks for the token when the dashboard has one', async () => {
    const guardedPage = await context.newPage();
    watchOrigin(guardedPage, guardedBase);
    try {
      await guardedPage.goto(guardedBase);
      await guardedPage.getByRole('heading', { name: 'This dashboard needs a token' }).waitFor();
      await guardedPage.getByLabel('Token', { exact: true }).fill('sesame');
      await guardedPage.getByRole('button', { name: 'Use token' }).click();
      await guardedPage.getByRole('link', { name: 'dash-greeter' }).waitFor({ timeout: 40_000 });
      expect(await guardedPage.getByRole('heading', { name: 'This dashboard needs a token' }).count()).toBe(
        0,
      );
    } finally {
      await guardedPage.close();
    }
  });

  it('works mounted under a prefix of a Nest app by MicroDashboardModule (the page URLs are relative)', async () => {
    @Module({
      imports: [
        MicroModule.forRoot({ name: 'dash-nest', registry: createRegistry('mdns', mdns), env: false }),
        MicroDashboardModule.forRoot({ prefix: 'ops/dash', rateLimit: false }),
      ],
    })
    class HostModule {}
    const host = (await Test.createTestingModule({ imports: [HostModule] }).compile()).createNestApplication({
      logger: ['error'],
    });
    await host.listen(0, '127.0.0.1');
    const root = `http://127.0.0.1:${(host.getHttpServer().address() as AddressInfo).port}/ops/dash`;
    const mounted = await context.newPage();
    watchOrigin(mounted, root); // and under the prefix
    try {
      await mounted.goto(root);
      expect(mounted.url()).toBe(`${root}/`);
      await mounted.getByRole('link', { name: 'dash-greeter' }).click();
      // a call through the app's JSON body parser
      await mounted.getByRole('link', { name: 'Greeter.Hello' }).click();
      await mounted.getByLabel('name string').fill('Nest');
      await mounted.getByRole('button', { name: 'Call Greeter.Hello' }).click();
      await mounted.getByTestId('reply-json').getByText('Hello Nest').waitFor();
      // a stream over the WebSocket upgrade the module takes from the app's server
      await mounted.getByRole('link', { name: 'Greeter.Echo' }).click();
      await mounted.getByRole('button', { name: 'Open stream' }).click();
      await mounted.getByLabel('text string').fill('prefixed');
      await mounted.getByRole('button', { name: 'Send', exact: true }).click();
      await mounted.getByTestId('stream-replies').getByText('echo: prefixed').waitFor();
      await mounted.getByRole('button', { name: 'Cancel stream' }).click();
    } finally {
      await mounted.close();
      await host.close();
    }
  });

  it('is usable from the keyboard: visible focus, labelled inputs, focus moves to the new page', async () => {
    await page.goto(base);
    await page.getByRole('link', { name: 'dash-greeter' }).waitFor();
    await page.keyboard.press('Tab');
    // (page scripts as text: the test's TypeScript has no DOM types)
    const focused = await page.evaluate(
      '({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle })',
    );
    expect(focused).toEqual({ text: 'Skip to content', outline: 'solid' });
    await page.getByRole('link', { name: 'dash-greeter' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'dash-greeter', level: 1 }).waitFor();
    // the page moves focus to its heading once it has rendered (an effect after the heading shows)
    await page.waitForFunction("document.activeElement?.tagName === 'H1'");
    await page.getByRole('link', { name: 'Greeter.Hello' }).focus();
    await page.keyboard.press('Enter');
    await page.getByLabel('name string').waitFor();
    const unlabelled = await page.evaluate(
      `[...document.querySelectorAll('input, textarea, select')]
        .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML)`,
    );
    expect(unlabelled).toEqual([]);
  });

  it('never sends a request outside its own origin, and the page logs no error', () => {
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
