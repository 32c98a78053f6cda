import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { roomKeysPattern } from '@boxoffice/contracts/order/room-keys';
import { eventually } from '@boxoffice/testing/eventually';
import { openHeadlessChromium, type HeadlessChromium } from '@boxoffice/testing/headless-chromium';
import { putSale } from '@boxoffice/testing/sale-stock';
import type { ServiceProcess } from '@boxoffice/testing/service-process';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { TestIssuer } from '@boxoffice/testing/test-issuer';
import { deleteKeys } from '@boxoffice/testing/test-namespace';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';

/** Set to a path (docs/images/waiting-room.png) to save the page mid-queue there: docs/testing.md. */
const SCREENSHOT = process.env.ROOM_PAGE_SCREENSHOT;
/** What Chromium sends when it navigates to a page. */
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';

/**
 * The waiting room's page (docs/contract.md §2, _The waiting room's page_) in Debian's headless Chromium, against
 * order, inventory and payment as real processes (real Postgres, Redis, RabbitMQ). Order runs as `npm start` runs it:
 * buyer tokens verified when sent, the body's userId trusted without one (BUYER_JWT_REQUIRED=false).
 */
describe('The waiting room page (e2e: headless Chromium, order, inventory and payment as processes)', () => {
  let corner: TestCorner;
  let order: ServiceProcess;
  let inventory: ServiceProcess;
  let issuer: TestIssuer;
  let chromium: HeadlessChromium;
  const pages: Page[] = [];

  const putRoom = (eventId: string, admitPerSecond: number) =>
    order
      .http()
      .put(`/events/${eventId}/waiting-room`)
      .set(AS_ADMIN)
      .send({ enabled: true, admitPerSecond })
      .expect(200);
  const queueAhead = async (eventId: string, buyers: string[]) => {
    for (const userId of buyers)
      await order.http().post(`/events/${eventId}/waiting-room/entries`).send({ userId }).expect(201);
  };
  /** A tab on the sale's room; every error it logs (a script that failed, a CSP refusal) is kept for the test. */
  const openRoom = async (eventId: string, fragment = '') => {
    const page = await chromium.context.newPage();
    pages.push(page);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${message.text()} ${message.location().url}`);
    });
    await page.goto(`${order.url}/events/${eventId}/waiting-room${fragment}`);
    await eventually(async () => (await page.textContent('#room-state')) === 'Open', {
      what: 'the page showing the room open',
    });
    return { page, errors };
  };
  const text = async (page: Page, selector: string) => (await page.textContent(selector))?.trim();
  /** What the page keeps for a reload (sessionStorage; an expression: the test's types know no DOM). */
  const stored = (page: Page, eventId: string): Promise<Record<string, string>> =>
    page.evaluate(`JSON.parse(sessionStorage.getItem('boxoffice.waiting-room.${eventId}') ?? '{}')`);
  const storedToken = (page: Page): Promise<string | null> =>
    page.evaluate(`sessionStorage.getItem('boxoffice.buyer-token')`);
  /**
   * The first `POST <path>` the page sends is answered 503 `code` with `Retry-After: 1` (order busy, as the contract
   * answers it: nothing kept), the rest reach order; each request's Idempotency-Key is kept.
   */
  const busyOnce = async (page: Page, path: string, code: string) => {
    const keys: Array<string | undefined> = [];
    await page.route(
      (url) => url.pathname === path,
      async (route: Route) => {
        if (route.request().method() !== 'POST') return route.continue();
        keys.push(route.request().headers()['idempotency-key']);
        if (keys.length > 1) return route.continue();
        return route.fulfill({
          status: 503,
          headers: { 'retry-after': '1', 'content-type': 'application/json' },
          body: JSON.stringify({ code, message: 'busy' }),
        });
      },
    );
    return keys;
  };

  /** `userId` buys one ticket of the sale (with `admissionToken` when its room is on), and it is CONFIRMED. */
  const buyLastTicket = async (eventId: string, userId: string, admissionToken?: string) => {
    const { orderId } = (
      await order
        .http()
        .post('/orders')
        .set(admissionToken ? { 'admission-token': admissionToken } : {})
        .send({ eventId, userId, quantity: 1, paymentToken: 'tok_visa' })
        .expect(202)
    ).body;
    await eventually(async () => (await order.http().get(`/orders/${orderId}`)).body.status === 'CONFIRMED', {
      what: `${userId}'s order CONFIRMED`,
    });
  };
  /** The room's status as an API client reads it, once its `stock` is `stock`. */
  const roomStock = (eventId: string, stock: string) =>
    eventually(async () => (await order.http().get(`/events/${eventId}/waiting-room`)).body.stock === stock, {
      what: `the room of ${eventId} reading ${stock}`,
      timeoutMs: 10_000,
    });

  beforeAll(async () => {
    // The browser first: without Chromium the spec fails here at once, saying how to install it.
    chromium = await openHeadlessChromium();
    issuer = await TestIssuer.create('ES256');
    corner = await openTestCorner('room_page', { vhost: true });
    [inventory] = await Promise.all([
      corner.startProcess('inventory'),
      corner.startProcess('payment', { GATEWAY_LATENCY_MS: '5', OUTBOX_POLL_INTERVAL_MS: '50' }),
    ]);
    order = await corner.startProcess('order', {
      INVENTORY_URL: inventory.url,
      OUTBOX_POLL_INTERVAL_MS: '50',
      ...(await issuer.env(false)),
    });
    await putSale(inventory.url, 'gig', { totalStock: 20, perUserLimit: 2 });
    for (const eventId of ['long-queue', 'spent', 'wiped', 'busy', 'signed'])
      await putSale(inventory.url, eventId, { totalStock: 20, perUserLimit: 2 });
    for (const eventId of ['last-seat', 'gone']) await putSale(inventory.url, eventId, { totalStock: 1 });
  });
  afterAll(async () => {
    await Promise.all(pages.map((page) => page.close()));
    await chromium?.close();
    await corner?.dispose();
  });

  it('given a room letting in one buyer a second with five buyers ahead, when a buyer opens the page and joins, then it shows their place, then their turn, and they buy and see the order CONFIRMED', async () => {
    await putRoom('gig', 1);
    const { page, errors } = await openRoom('gig');
    await queueAhead('gig', ['ann', 'ben', 'cat', 'dan', 'eve']);

    // when
    await page.fill('#buyer', 'pia');
    await page.click('#join-button');

    // then: a place, and who is ahead, live
    await page.locator('#waiting').waitFor({ state: 'visible' });
    expect(await text(page, '#position')).toBe('#6');
    expect(await page.getAttribute('#place', 'aria-live')).toBe('polite');
    const ahead = Number(await text(page, '#ahead'));
    expect(ahead).toBeGreaterThanOrEqual(0);
    expect(ahead).toBeLessThanOrEqual(5);
    expect(await text(page, '#wait')).toMatch(/^about \d+ s$/);
    if (SCREENSHOT) {
      await mkdir(dirname(resolve(SCREENSHOT)), { recursive: true });
      await page.locator('main').screenshot({ path: resolve(SCREENSHOT) });
    }

    // then: the turn comes, the buy step shows
    await page.locator('#buy').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.isHidden('#waiting')).toBe(true);

    // when: two tickets with the paying test card
    await page.fill('#quantity', '2');
    await page.selectOption('#card', 'tok_visa');
    await page.click('#buy-button');

    // then
    await eventually(async () => (await text(page, '#order-status')) === 'CONFIRMED', {
      what: 'the page showing the order CONFIRMED',
      timeoutMs: 20_000,
    });
    const { orderId, orderKey } = await stored(page, 'gig');
    const bought = (await order.http().get(`/orders/${orderId}`).expect(200)).body;
    expect(bought).toMatchObject({ eventId: 'gig', userId: 'pia', quantity: 2, status: 'CONFIRMED' });
    expect(orderKey).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(await text(page, '#order-detail')).toContain('2 ticket(s)');
    expect(errors).toEqual([]);
  });

  it('given a buyer token handed over in the URL fragment, when the buyer joins a long queue and reloads, then the token left the address bar, and the page shows the same entry and place, the token’s buyer’s', async () => {
    await putRoom('long-queue', 1);
    await queueAhead(
      'long-queue',
      Array.from({ length: 30 }, (_, i) => `early-${i}`),
    );
    const { page, errors } = await openRoom('long-queue', `#token=${await issuer.token('rosa')}`);
    expect(page.url()).not.toContain('#token');
    expect(await page.isVisible('#signed-in')).toBe(true);
    expect(await page.isHidden('#buyer-field')).toBe(true);

    await page.click('#join-button');
    await page.locator('#waiting').waitFor({ state: 'visible' });
    const { entryId } = await stored(page, 'long-queue');
    expect(await text(page, '#position')).toBe('#31');

    // when
    await page.reload();

    // then
    await page.locator('#waiting').waitFor({ state: 'visible' });
    expect(await page.isHidden('#join')).toBe(true);
    expect(await text(page, '#position')).toBe('#31');
    expect((await stored(page, 'long-queue')).entryId).toBe(entryId);
    const again = await order
      .http()
      .post('/events/long-queue/waiting-room/entries')
      .set(await issuer.as('rosa'))
      .send({})
      .expect(200);
    expect(again.body).toMatchObject({ entryId, position: 31 });
    expect(errors).toEqual([]);
  });

  it('given a buyer admitted whose admission token was spent meanwhile (another tab), when they buy on the page, then it says the admission was not accepted and offers the queue again', async () => {
    await putRoom('spent', 1000);
    const { page, errors } = await openRoom('spent');
    await page.fill('#buyer', 'sol');
    await page.click('#join-button');
    await page.locator('#buy').waitFor({ state: 'visible' });
    const { entryId } = await stored(page, 'spent');
    const { admissionToken } = (
      await order.http().get(`/events/spent/waiting-room/entries/${entryId}`).expect(200)
    ).body;
    await order
      .http()
      .post('/orders')
      .set('admission-token', admissionToken)
      .send({ eventId: 'spent', userId: 'sol', quantity: 1 })
      .expect(202);

    // when
    await page.click('#buy-button');

    // then
    await eventually(async () => (await text(page, '#message'))?.includes('admission was not accepted'), {
      what: 'the page saying the admission was refused',
    });
    expect(await page.isVisible('#join')).toBe(true);
    expect(await stored(page, 'spent')).toEqual({});
    expect(errors).toEqual([
      expect.stringContaining('429'), // the browser logs the refused POST /orders itself
    ]);
  });

  it('given a buyer waiting, when Redis loses the queues, then the page says the queue is closed, forgets the entry and offers to join again', async () => {
    await putRoom('wiped', 1);
    await queueAhead(
      'wiped',
      Array.from({ length: 8 }, (_, i) => `w-${i}`),
    );
    const { page } = await openRoom('wiped');
    await page.fill('#buyer', 'tom');
    await page.click('#join-button');
    await page.locator('#waiting').waitFor({ state: 'visible' });

    // when (every room of this corner: the sales of the tests above are done with theirs)
    await deleteKeys(roomKeysPattern(corner.namespace.redisPrefix));

    // then
    await eventually(async () => (await text(page, '#message'))?.includes('The queue is closed'), {
      what: 'the page saying the queue is closed',
      timeoutMs: 20_000,
    });
    expect(await page.isVisible('#join')).toBe(true);
    expect(await page.isHidden('#waiting')).toBe(true);
    expect(await text(page, '#room-state')).toBe('Closed for the moment');
    expect(await stored(page, 'wiped')).toEqual({});
  });

  it('given order answering 503 UNAVAILABLE to the join and OVERLOADED to the buy, when the buyer joins and buys once each, then the page says it is trying again and does, after Retry-After, the buy under the same Idempotency-Key: one order, CONFIRMED', async () => {
    await putRoom('busy', 1000);
    const { page, errors } = await openRoom('busy');
    const joins = await busyOnce(page, '/events/busy/waiting-room/entries', 'UNAVAILABLE');
    const buys = await busyOnce(page, '/orders', 'OVERLOADED');

    // when: joins once
    await page.fill('#buyer', 'ida');
    await page.click('#join-button');

    // then: told it tries again, and it does, on its own
    await eventually(async () => (await text(page, '#message'))?.includes('busy: trying again in 1 s'), {
      what: 'the page saying it tries the join again',
    });
    await page.locator('#buy').waitFor({ state: 'visible' });
    expect(joins).toHaveLength(2);

    // when: buys once
    await page.click('#buy-button');

    // then
    await eventually(async () => (await text(page, '#order-status')) === 'CONFIRMED', {
      what: 'the page showing the order CONFIRMED after its retry',
      timeoutMs: 20_000,
    });
    const { orderId, orderKey } = await stored(page, 'busy');
    expect(buys).toEqual([orderKey, orderKey]);
    const bought = (await order.http().get(`/orders/${orderId}`).expect(200)).body;
    expect(bought).toMatchObject({ eventId: 'busy', userId: 'ida', status: 'CONFIRMED' });
    // The browser logs each 503 itself; nothing else went wrong.
    expect(errors).toHaveLength(2);
    expect(errors.every((error) => error.includes('503'))).toBe(true);
  });

  it('given a buyer queuing signed in as una, when a link with mallory’s token is opened in the tab, then the page names both and asks: staying keeps una’s token and place; switching gives the place up and names mallory', async () => {
    await putRoom('signed', 1);
    await queueAhead(
      'signed',
      Array.from({ length: 20 }, (_, i) => `s-${i}`),
    );
    const una = await issuer.token('una');
    const mallory = await issuer.token('mallory');
    const { page, errors } = await openRoom('signed', `#token=${una}`);
    expect(await text(page, '#who-name')).toBe('una');
    expect(await text(page, '#signed-in-name')).toBe('una');
    await page.click('#join-button');
    await page.locator('#waiting').waitFor({ state: 'visible' });
    const { entryId } = await stored(page, 'signed');
    const room = `${order.url}/events/signed/waiting-room`;

    // when: a crafted link, in the same tab
    await page.goto('about:blank');
    await page.goto(`${room}#token=${mallory}`);

    // then: asked, nothing switched yet
    await page.locator('#switch').waitFor({ state: 'visible' });
    expect(await text(page, '#switch-to')).toBe('mallory');
    expect(await text(page, '#switch-from')).toBe('una');
    expect(page.url()).not.toContain('#token');
    expect(await storedToken(page)).toBe(una);
    expect(await page.isHidden('#waiting')).toBe(true);

    // when: stays
    await page.click('#stay-button');

    // then: una's place, una's token
    await page.locator('#waiting').waitFor({ state: 'visible' });
    expect((await stored(page, 'signed')).entryId).toBe(entryId);
    expect(await text(page, '#who-name')).toBe('una');
    expect(await storedToken(page)).toBe(una);

    // when: the link again, and this time switches
    await page.goto('about:blank');
    await page.goto(`${room}#token=${mallory}`);
    await page.locator('#switch').waitFor({ state: 'visible' });
    await page.click('#switch-button');

    // then: mallory's, with no place yet
    await page.locator('#join').waitFor({ state: 'visible' });
    expect(await text(page, '#who-name')).toBe('mallory');
    expect(await storedToken(page)).toBe(mallory);
    expect(await stored(page, 'signed')).toEqual({});
    expect(errors).toEqual([]);
  });

  it('given a buyer waiting behind twelve, when the sale’s last ticket is bought meanwhile, then the page says Sold out in words, shows the sale sold out, forgets the entry and asks no more', async () => {
    // given: the first of the queue will buy the sale's one ticket
    await putRoom('last-seat', 1);
    const first = (
      await order.http().post('/events/last-seat/waiting-room/entries').send({ userId: 'first' }).expect(201)
    ).body;
    await queueAhead(
      'last-seat',
      Array.from({ length: 12 }, (_, i) => `l-${i}`),
    );
    const { page, errors } = await openRoom('last-seat');
    const looks: number[] = [];
    const pollAfter: number[] = [];
    page.on('request', (request) => {
      if (/\/waiting-room\/entries\/[^/]+$/.test(new URL(request.url()).pathname)) looks.push(Date.now());
    });
    page.on('response', async (response) => {
      if (!/\/waiting-room\/entries/.test(response.url())) return;
      const seconds = ((await response.json().catch(() => ({}))) as { pollAfterSeconds?: number })
        .pollAfterSeconds;
      if (typeof seconds === 'number') pollAfter.push(seconds);
    });
    await page.fill('#buyer', 'pia');
    await page.click('#join-button');
    await page.locator('#waiting').waitFor({ state: 'visible' });
    expect(await text(page, '#position')).toBe('#14');

    // when: the first buyer's turn comes, and it buys the last ticket
    const admission = await eventually(
      async () =>
        (await order.http().get(`/events/last-seat/waiting-room/entries/${first.entryId}`)).body
          .admissionToken as string | undefined,
      { what: 'the first buyer admitted' },
    );
    await buyLastTicket('last-seat', 'first', admission);

    // then: told at its next look
    await page.locator('#sold-out').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await text(page, '#sold-out-title')).toBe('Sold out');
    expect(await text(page, '#message')).toMatch(/^Sold out: every ticket of this sale has been sold/);
    expect(await page.isHidden('#waiting')).toBe(true);
    expect(await page.isHidden('#join')).toBe(true);
    expect(await stored(page, 'last-seat')).toEqual({});
    await eventually(async () => (await text(page, '#room-stock')) === 'Sold out', {
      what: 'the room shown sold out',
    });
    // and asks no more: nothing in longer than the longest it waited between two looks, and its share of jitter
    const asked = looks.length;
    await new Promise((resolve) => setTimeout(resolve, (Math.max(1, ...pollAfter) * 1.25 + 1) * 1000));
    expect(looks).toHaveLength(asked);
    expect(errors).toEqual([]);
  });

  it('given a sale sold out before a buyer opens its room, when the buyer joins, then the room reads Sold out and the page says it, keeping no entry', async () => {
    // given: the one ticket bought before the room was on
    await buyLastTicket('gone', 'early');
    await putRoom('gone', 5);
    await roomStock('gone', 'sold_out');
    const { page, errors } = await openRoom('gone');
    expect(await text(page, '#room-stock')).toBe('Sold out');

    // when
    await page.fill('#buyer', 'ivo');
    await page.click('#join-button');

    // then
    await page.locator('#sold-out').waitFor({ state: 'visible' });
    expect(await text(page, '#message')).toMatch(/^Sold out/);
    expect(await stored(page, 'gone')).toEqual({});
    expect(errors).toEqual([
      expect.stringContaining('409'), // the browser logs the refused POST .../entries itself
    ]);
  });

  it('given the room, when an API client asks for its status, then JSON as ever; a browser’s Accept gets the page with a strict Content-Security-Policy, and both vary on Accept', async () => {
    await putRoom('gig', 1);

    const json = await order.http().get('/events/gig/waiting-room').set('accept', '*/*').expect(200);
    const page = await order.http().get('/events/gig/waiting-room').set('accept', BROWSER_ACCEPT).expect(200);
    const script = await order.http().get('/waiting-room/room-page.js').expect(200);
    const words = await order.http().get('/waiting-room/room-words.js').expect(200);
    const stylesheet = await order.http().get('/waiting-room/room-page.css').expect(200);

    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.headers.vary).toBe('Accept');
    expect(json.body).toEqual(expect.objectContaining({ enabled: true, admitPerSecond: 1 }));
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers.vary).toBe('Accept');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // No inline script: every <script> has a src.
    expect(page.text.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(words.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(words.headers['content-security-policy']).toContain("script-src 'self'");
    expect(script.text).toContain("from './room-words.js'");
    expect(stylesheet.headers['content-type']).toBe('text/css; charset=utf-8');
    // A sale without a room: the page still (it says so itself), the API 404 as ever.
    await order.http().get('/events/no-room/waiting-room').set('accept', BROWSER_ACCEPT).expect(200);
    const none = await order.http().get('/events/no-room/waiting-room').expect(404);
    expect(none.body.code).toBe('WAITING_ROOM_NOT_FOUND');
  });
});
