// What the waiting room's page says (docs/contract.md §2, _The waiting room's page_): every figure, state and trouble
// of the API put in words. No DOM here: room-page.js puts these on the page, as text.

export function duration(seconds) {
  if (seconds < 60) return `about ${seconds} s`;
  if (seconds < 3600) return `about ${Math.ceil(seconds / 60)} min`;
  return `about ${Math.floor(seconds / 3600)} h ${Math.ceil((seconds % 3600) / 60)} min`;
}

export function count(value) {
  return new Intl.NumberFormat().format(value);
}

export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The room's state from its status (null: the room could not be read; `code` says why). */
export function roomState(room, code) {
  if (!room) return code === 'WAITING_ROOM_CLOSED' ? 'Closed for the moment' : 'Not open';
  if (!room.enabled) return 'Off: the sale needs no queue';
  return room.preQueueUntil && Date.parse(room.preQueueUntil) > Date.now()
    ? `Pre-queue until ${clock(room.preQueueUntil)}`
    : 'Open';
}

/**
 * The sale's tickets as the room last read them (its status's `stock`, contract §2, _The room follows its sale's
 * stock_), and what that means for a buyer in the queue: nobody's turn comes while every ticket is held or sold.
 */
const STOCK_WORDS = {
  on_sale: 'On sale',
  all_held: 'Every ticket is in an order being paid; some may come back, keep your place.',
  sold_out: 'Sold out',
  unknown: 'Not known yet',
};

export function stockWords(stock) {
  return Object.hasOwn(STOCK_WORDS, stock) ? STOCK_WORDS[stock] : '–';
}

/** Said once the room says the sale is sold out: the entry is forgotten, nothing more is asked. */
export const SOLD_OUT =
  'Sold out: every ticket of this sale has been sold, so no turn will come. Your place is given up.';

/** Why the room cannot be used now, in words, for an answer that is no success. */
export function trouble(answer) {
  switch (answer.code) {
    case 'WAITING_ROOM_NOT_FOUND':
      return 'This sale has no waiting room on right now.';
    case 'WAITING_ROOM_CLOSED':
      return 'The queue is closed for the moment: it lost its places and must be reopened. Try again shortly.';
    case 'UNAUTHENTICATED':
      return 'This sale needs you signed in: open the waiting room again from the sale’s site.';
    case 'OFFLINE':
      return `Cannot reach the box office: trying again in ${answer.retryAfter} s…`;
    case 'UNAVAILABLE':
    case 'OVERLOADED':
      return `The box office is busy: trying again in ${answer.retryAfter} s…`;
    default:
      return answer.body?.message ?? `Something went wrong (HTTP ${answer.status}).`;
  }
}

/** What an order's answer says (its order's status, or why it was not taken). */
export function orderDetail(order) {
  const price = new Intl.NumberFormat(undefined, { style: 'currency', currency: order.currency });
  const digits = price.resolvedOptions().maximumFractionDigits;
  const total = price.format(order.amount / 10 ** digits);
  if (order.status === 'CREATED') return `${order.quantity} ticket(s), ${total}: paying…`;
  return order.status === 'CONFIRMED'
    ? `${order.quantity} ticket(s), ${total}: paid. Order ${order.orderId}.`
    : `Not bought (${order.reason ?? 'cancelled'}): nothing was charged or it was refunded.`;
}
