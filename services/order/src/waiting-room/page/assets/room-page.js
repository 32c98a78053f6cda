// The waiting room's page (docs/contract.md §2, _The waiting room's page_): queues the buyer, shows the place live,
// then buys with the admission token. No framework; every value from the server goes in through textContent, in the
// words of room-words.js.
import {
  SOLD_OUT,
  clock,
  count,
  duration,
  orderDetail,
  roomState,
  stockWords,
  trouble,
} from './room-words.js';

const TOKEN_KEY = 'boxoffice.buyer-token';
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const ORDER_POLL_SECONDS = 1;
const RETRY_SECONDS = 2;

const route = /\/events\/([^/]+)\/waiting-room\/?$/.exec(location.pathname);
const eventId = saleOf(route);
const STORE_KEY = `boxoffice.waiting-room.${eventId}`;
const $ = (id) => document.getElementById(id);

/** The sale the address names; null when it names none a page can use (a malformed escape like %E0). */
function saleOf(match) {
  try {
    return match ? decodeURIComponent(match[1]) : '';
  } catch {
    return null;
  }
}

/** What a reload keeps (this tab only): the entry, the buyer, the order's Idempotency-Key and the order. */
let saved = load();
let timer;
let room = null;
let admission = null;

/**
 * A buyer token handed over in the URL's fragment (#token=…, which the browser never sends to a server, so no log has
 * it), taken away from the address bar at once. Not used yet: `start` decides whether it replaces the tab's own.
 */
function linkToken() {
  const given = new URLSearchParams(location.hash.slice(1)).get('token');
  if (given) history.replaceState(null, '', location.pathname + location.search);
  return given;
}
const offered = linkToken();
/** The buyer's token this tab uses (sessionStorage), null without one. */
let token = sessionStorage.getItem(TOKEN_KEY);

function useToken(jwt) {
  token = jwt;
  sessionStorage.setItem(TOKEN_KEY, jwt);
}

/** The buyer a token names (its `sub`), read for display only: order verifies the token, the page cannot. */
function buyerOf(jwt) {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    const { sub } = JSON.parse(new TextDecoder().decode(bytes));
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}

/** Who this tab queues and buys as: the token's buyer, or the name typed in without one. */
function currentBuyer() {
  return token ? buyerOf(token) : (saved.buyer ?? null);
}

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE_KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

function save(changes) {
  saved = { ...saved, ...changes };
  sessionStorage.setItem(STORE_KEY, JSON.stringify(saved));
}

function forget() {
  saved = {};
  sessionStorage.removeItem(STORE_KEY);
}

/** One call to the order service: its status, its JSON body (null if none) and Retry-After; status 0 offline. */
async function call(method, path, { body, headers = {} } = {}) {
  const sent = { Accept: 'application/json', ...headers };
  if (token) sent.Authorization = `Bearer ${token}`;
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  try {
    const response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    const retryAfter = Number(response.headers.get('Retry-After')) || RETRY_SECONDS;
    return { status: response.status, body: json, code: json?.code, retryAfter };
  } catch {
    return { status: 0, body: null, code: 'OFFLINE', retryAfter: RETRY_SECONDS };
  }
}

const roomPath = `/events/${encodeURIComponent(eventId)}/waiting-room`;

function later(step, seconds) {
  clearTimeout(timer);
  // An answer without a delay (a field missing) waits as a retry does: never a loop of requests.
  timer = setTimeout(step, (Number.isFinite(seconds) ? Math.max(0, seconds) : RETRY_SECONDS) * 1000);
}

function show(section) {
  for (const id of ['switch', 'join', 'waiting', 'sold-out', 'buy', 'order']) $(id).hidden = id !== section;
}

function say(text) {
  $('message').textContent = text ?? '';
  $('message').hidden = !text;
}

/** Answers worth asking again as they are, after Retry-After: nothing was kept (the contract's 503s), or no answer. */
function retryable(answer) {
  return ['OFFLINE', 'UNAVAILABLE', 'OVERLOADED'].includes(answer.code);
}

async function refreshRoom() {
  const answer = await call('GET', roomPath);
  room = answer.status === 200 ? answer.body : null;
  $('room-state').textContent = roomState(room, answer.code);
  if (room) {
    $('room-queued').textContent = count(room.queued);
    $('room-rate').textContent = count(room.admitPerSecond);
    $('room-longest').textContent = duration(room.longestEstimatedWaitSeconds);
  }
  // While every ticket is held, nobody's turn comes: the queue says why, and that waiting is still worth it.
  $('room-stock').textContent = stockWords(room?.stock);
  $('held-note').hidden = room?.stock !== 'all_held';
  return answer;
}

/** Who is signed in, in the header and the join step: a buyer sees whose place a link gave them. */
function showWho() {
  const name = token ? (buyerOf(token) ?? 'a buyer the token does not name') : null;
  $('who').hidden = !name;
  $('who-name').textContent = name ?? '';
  $('signed-in-name').textContent = name ?? '';
}

function showJoin() {
  show('join');
  $('signed-in').hidden = !token;
  $('buyer-field').hidden = Boolean(token);
  $('buyer').required = !token;
  if (saved.buyer) $('buyer').value = saved.buyer;
}

async function join(event) {
  event.preventDefault();
  const buyer = $('buyer').value.trim();
  if (!token && !IDENTIFIER.test(buyer)) {
    say('Enter a buyer name: letters, digits, and _ . : - (up to 64), starting with a letter or a digit.');
    $('buyer').focus();
    return;
  }
  await enter(buyer);
}

async function enter(buyer) {
  $('join-button').disabled = true;
  const answer = await call('POST', `${roomPath}/entries`, { body: token ? {} : { userId: buyer } });
  if (retryable(answer)) {
    say(trouble(answer));
    return later(() => enter(buyer), answer.retryAfter);
  }
  $('join-button').disabled = false;
  if (answer.code === 'SOLD_OUT') return soldOut();
  if (answer.status !== 200 && answer.status !== 201) {
    say(trouble(answer));
    return;
  }
  say(null);
  save({ entryId: answer.body.entryId, buyer: token ? undefined : buyer, firstAhead: undefined });
  await placed(answer.body);
}

/** A waiting entry on screen: its place, who is ahead (from the room's serving counter), the wait. */
async function placed(entry) {
  show('waiting');
  const status = await refreshRoom();
  if (entry.position === null) {
    $('position').textContent = 'in the pre-queue';
    $('ahead').textContent = 'drawn when the sale opens';
    $('progress').value = 0;
  } else {
    const ahead = status.status === 200 ? Math.max(0, entry.position - room.admitted - 1) : null;
    $('position').textContent = `#${count(entry.position)}`;
    $('ahead').textContent = ahead === null ? '–' : count(ahead);
    if (ahead !== null) {
      if (saved.firstAhead === undefined) save({ firstAhead: ahead });
      $('progress').value = saved.firstAhead > 0 ? 1 - ahead / saved.firstAhead : 1;
    }
  }
  $('wait').textContent = duration(entry.estimatedWaitSeconds);
  // Plus up to a quarter more (the contract's jitter): buyers who arrived together do not ask together. This is
  // pollDelayMs of libs/contracts (order/room-polling.ts) again: the page is one static script, it cannot import it.
  later(look, Math.max(1, entry.pollAfterSeconds) * (1 + Math.random() / 4));
}

async function look() {
  const answer = await call('GET', `${roomPath}/entries/${encodeURIComponent(saved.entryId)}`);
  if (answer.status === 200) {
    say(null);
    if (answer.body.admitted) return admitted(answer.body);
    if (answer.body.soldOut) return soldOut();
    if (answer.body.expired) {
      forget();
      say(`Your turn came and passed unused (at ${clock(answer.body.expiresAt)}): join the queue again.`);
      return showJoin();
    }
    return placed(answer.body);
  }
  if (answer.code === 'ENTRY_NOT_FOUND' || answer.code === 'WAITING_ROOM_CLOSED' || answer.status === 404) {
    forget();
    say(
      answer.code === 'ENTRY_NOT_FOUND'
        ? 'Your place is not known any more: join the queue again.'
        : trouble(answer),
    );
    await refreshRoom();
    return showJoin();
  }
  say(trouble(answer));
  later(look, answer.retryAfter);
}

/** The room says the sale is sold out: no turn will come, so nothing more is asked and the entry is forgotten. */
async function soldOut() {
  clearTimeout(timer);
  forget();
  show('sold-out');
  say(SOLD_OUT);
  await refreshRoom();
}

function admitted(entry) {
  admission = entry.admissionToken;
  show('buy');
  $('expires').textContent = clock(entry.expiresAt);
  $('expires').dateTime = entry.expiresAt;
  void refreshRoom();
  $('quantity').focus();
}

async function buy(event) {
  event.preventDefault();
  const quantity = Number($('quantity').value);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > 100) {
    say('Choose between 1 and 100 tickets.');
    return;
  }
  // One key per admission: a retry (after a 503, a lost answer, a reload) is the same order, never a second one.
  if (!saved.orderKey) save({ orderKey: crypto.randomUUID() });
  await placeOrder({
    eventId,
    quantity,
    paymentToken: $('card').value,
    ...(token ? {} : { userId: saved.buyer }),
  });
}

async function placeOrder(body) {
  $('buy-button').disabled = true;
  const answer = await call('POST', '/orders', {
    body,
    headers: { 'Admission-Token': admission, 'Idempotency-Key': saved.orderKey },
  });
  if (retryable(answer)) {
    // The same body under the same key: the order the first request took, if it took one, never a second.
    say(trouble(answer));
    return later(() => placeOrder(body), answer.retryAfter);
  }
  $('buy-button').disabled = false;
  if (answer.status === 202) {
    say(null);
    save({ orderId: answer.body.orderId });
    return followOrder();
  }
  switch (answer.code) {
    case 'WAITING_ROOM':
      forget();
      say('Your admission was not accepted (it expired or was used already): join the queue again.');
      return showJoin();
    case 'WAITING_ROOM_CLOSED':
      forget();
      say(trouble(answer));
      return showJoin();
    case 'PURCHASE_LIMIT_EXCEEDED':
      return say('That is more tickets than this sale allows a buyer: choose fewer.');
    case 'SOLD_OUT':
      return say('Not enough tickets left for that many: choose fewer, or the sale is sold out.');
    case 'OUTCOME_UNKNOWN':
      return say('We could not tell whether your order was taken: press Buy again, it cannot buy twice.');
    default:
      return say(trouble(answer));
  }
}

async function followOrder() {
  show('order');
  const answer = await call('GET', `/orders/${encodeURIComponent(saved.orderId)}`);
  if (answer.status !== 200) {
    $('order-status').textContent = 'Checking…';
    return later(followOrder, answer.retryAfter);
  }
  const order = answer.body;
  $('order-status').textContent = order.status;
  $('order-detail').textContent = orderDetail(order);
  if (order.status === 'CREATED') later(followOrder, ORDER_POLL_SECONDS);
}

/**
 * A link's token for another buyer than the one this tab keeps an entry or an order for: asked, never taken silently
 * (a crafted link would otherwise make the buyer queue and buy as someone else). Staying is the default.
 */
async function askSwitch() {
  await refreshRoom();
  show('switch');
  $('switch-to').textContent = buyerOf(offered) ?? 'a buyer the token does not name';
  $('switch-from').textContent = currentBuyer() ?? 'you';
  $('stay-button').focus();
  const switched = await new Promise((resolve) => {
    $('stay-button').addEventListener('click', () => resolve(false), { once: true });
    $('switch-button').addEventListener('click', () => resolve(true), { once: true });
  });
  if (switched) {
    forget();
    useToken(offered);
  }
  return resume();
}

async function start() {
  if (eventId === null) {
    $('room-state').textContent = 'Not found';
    return say('This address names no sale: open the waiting room again from the sale’s site.');
  }
  $('sale').textContent = eventId;
  document.title = `Waiting room · ${eventId} · Boxoffice`;
  $('join-form').addEventListener('submit', join);
  $('buy-form').addEventListener('submit', buy);
  // A token arriving in a link later (the address's fragment changed): judged as on opening.
  addEventListener(
    'hashchange',
    () => new URLSearchParams(location.hash.slice(1)).has('token') && location.reload(),
  );
  if (offered && offered !== token) {
    const kept = Boolean(saved.entryId || saved.orderId);
    if (kept && buyerOf(offered) !== currentBuyer()) return askSwitch();
    // No entry yet, or the same buyer's fresher token: taken, and the page says whose it is.
    useToken(offered);
  }
  return resume();
}

/** The page as the tab left it: the order followed, the entry looked at, or the join step. */
async function resume() {
  showWho();
  if (saved.orderId) return followOrder();
  const answer = await refreshRoom();
  if (saved.entryId) return look();
  showJoin();
  if (answer.status !== 200) say(trouble(answer));
}

void start();
