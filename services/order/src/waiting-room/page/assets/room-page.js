// The waiting room's page (docs/contract.md §2, _The waiting room's page_): queues the buyer, shows the place live,
// then buys with the admission token. No framework; every value from the server goes in through textContent.

const TOKEN_KEY = 'boxoffice.buyer-token';
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const ORDER_POLL_SECONDS = 1;
const RETRY_SECONDS = 2;

const route = /\/events\/([^/]+)\/waiting-room\/?$/.exec(location.pathname);
const eventId = route ? decodeURIComponent(route[1]) : '';
const STORE_KEY = `boxoffice.waiting-room.${eventId}`;
const $ = (id) => document.getElementById(id);

/** What a reload keeps (this tab only): the entry, the buyer, the order's Idempotency-Key and the order. */
let saved = load();
let timer;
let room = null;
let admission = null;

/**
 * The buyer's token, if the sale's site handed one over: in the URL's fragment (#token=…, which the browser never
 * sends to a server, so no log has it), taken away from the address bar at once, or already in sessionStorage.
 */
function buyerToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const given = fragment.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}
const token = buyerToken();

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
  timer = setTimeout(step, Math.max(0, seconds) * 1000);
}

function show(section) {
  for (const id of ['join', 'waiting', 'buy', 'order']) $(id).hidden = id !== section;
}

function say(text) {
  $('message').textContent = text ?? '';
  $('message').hidden = !text;
}

function duration(seconds) {
  if (seconds < 60) return `about ${seconds} s`;
  if (seconds < 3600) return `about ${Math.ceil(seconds / 60)} min`;
  return `about ${Math.floor(seconds / 3600)} h ${Math.ceil((seconds % 3600) / 60)} min`;
}

function count(value) {
  return new Intl.NumberFormat().format(value);
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Why the room cannot be used now, in words, for an answer that is no success. */
function trouble(answer) {
  switch (answer.code) {
    case 'WAITING_ROOM_NOT_FOUND':
      return 'This sale has no waiting room on right now.';
    case 'WAITING_ROOM_CLOSED':
      return 'The queue is closed for the moment: it lost its places and must be reopened. Try again shortly.';
    case 'UNAUTHENTICATED':
      return 'This sale needs you signed in: open the waiting room again from the sale’s site.';
    case 'OFFLINE':
      return 'Cannot reach the box office: trying again…';
    case 'UNAVAILABLE':
    case 'OVERLOADED':
      return 'The box office is busy: trying again…';
    default:
      return answer.body?.message ?? `Something went wrong (HTTP ${answer.status}).`;
  }
}

async function refreshRoom() {
  const answer = await call('GET', roomPath);
  if (answer.status === 200) {
    room = answer.body;
    $('room-state').textContent = room.enabled
      ? room.preQueueUntil && Date.parse(room.preQueueUntil) > Date.now()
        ? `Pre-queue until ${clock(room.preQueueUntil)}`
        : 'Open'
      : 'Off: the sale needs no queue';
    $('room-queued').textContent = count(room.queued);
    $('room-rate').textContent = count(room.admitPerSecond);
    $('room-longest').textContent = duration(room.longestEstimatedWaitSeconds);
  } else {
    room = null;
    $('room-state').textContent =
      answer.code === 'WAITING_ROOM_CLOSED' ? 'Closed for the moment' : 'Not open';
  }
  return answer;
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
  $('join-button').disabled = true;
  const answer = await call('POST', `${roomPath}/entries`, { body: token ? {} : { userId: buyer } });
  $('join-button').disabled = false;
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
  // Plus up to a quarter more (the contract's jitter): buyers who arrived together do not ask together.
  later(look, Math.max(1, entry.pollAfterSeconds) * (1 + Math.random() / 4));
}

async function look() {
  const answer = await call('GET', `${roomPath}/entries/${encodeURIComponent(saved.entryId)}`);
  if (answer.status === 200) {
    say(null);
    if (answer.body.admitted) return admitted(answer.body);
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
  $('buy-button').disabled = true;
  const answer = await call('POST', '/orders', {
    body: { eventId, quantity, paymentToken: $('card').value, ...(token ? {} : { userId: saved.buyer }) },
    headers: { 'Admission-Token': admission, 'Idempotency-Key': saved.orderKey },
  });
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
  const price = new Intl.NumberFormat(undefined, { style: 'currency', currency: order.currency });
  const digits = price.resolvedOptions().maximumFractionDigits;
  const total = price.format(order.amount / 10 ** digits);
  if (order.status === 'CREATED') {
    $('order-detail').textContent = `${order.quantity} ticket(s), ${total}: paying…`;
    return later(followOrder, ORDER_POLL_SECONDS);
  }
  $('order-detail').textContent =
    order.status === 'CONFIRMED'
      ? `${order.quantity} ticket(s), ${total}: paid. Order ${order.orderId}.`
      : `Not bought (${order.reason ?? 'cancelled'}): nothing was charged or it was refunded.`;
}

async function start() {
  $('sale').textContent = eventId;
  document.title = `Waiting room · ${eventId} · Boxoffice`;
  $('join-form').addEventListener('submit', join);
  $('buy-form').addEventListener('submit', buy);
  if (saved.orderId) return followOrder();
  const answer = await refreshRoom();
  if (saved.entryId) return look();
  showJoin();
  if (answer.status !== 200) say(trouble(answer));
}

void start();
