import {
  checkAdmissionRate,
  checkEntries,
  checkOrdersAdmitted,
  checkToldSoldOut,
  fastestAdmission,
  putRoom,
  watchRoom,
} from '../room-checks';
import { startRoomBuyers } from '../room-buyers';
import type { Scenario } from '../scenario';

const ARRIVALS = 50_000;
const ADMIT_PER_SECOND = 1_000;
/** Every this-many-th arrival keeps polling and buys once admitted: 2,000 buyers spread over the whole queue. */
const BUYER_EVERY = 25;
/** Order is killed once this many have arrived, and restarted this long after. */
const KILL_AFTER = 20_000;
const DOWN_MS = 2_000;
/**
 * One ticket more than its buyers can order (one each): never sold out, not even all held, so every one of the 50,000
 * arrivals is queued (a sold-out room answers 409 SOLD_OUT and queues nobody, contract §2, _The room follows its
 * sale's stock_), and `checkEntries` checks what it names across the crash. Telling a sold-out queue is room-wipe's
 * and room-tokens'.
 */
const STOCK = ARRIVALS / BUYER_EVERY + 1;

/**
 * The issue 23 storm: 50,000 buyers arrive at the room as fast as order takes them, each its own identity, while it
 * admits 1,000 a second; a sample buys with its admission; order is SIGKILLed mid-storm and restarted.
 */
export const roomStorm: Scenario = {
  name: 'room-storm',
  fault: `order SIGKILLed after ${KILL_AFTER} of ${ARRIVALS} arrivals at the waiting room, restarted ${DOWN_MS / 1000} s later`,
  faultMs: DOWN_MS,
  stock: STOCK,
  async sale(stack, eventId, log) {
    const orderUrl = stack.urls('order')[0];
    await putRoom(orderUrl, eventId, ADMIT_PER_SECOND);
    const watch = watchRoom(orderUrl, eventId);
    const buyers = startRoomBuyers({
      orderUrls: stack.urls('order'),
      eventId,
      arrivals: ARRIVALS,
      userPrefix: 'storm',
      concurrency: 32,
      arrivalsPerSecond: Infinity,
      buys: (i) => i % BUYER_EVERY === 0,
      declineRate: 0.1,
      retryForMs: 60_000,
      requeues: 1,
    });
    return {
      ...buyers,
      faultAfter: KILL_AFTER,
      async verify() {
        watch.stop();
        const { tally } = buyers;
        log(
          `room-storm: ${tally.queued} queued, ${tally.admissions.length} admitted, answers ${JSON.stringify(tally.answers)}; ${watch.samples.length} reads of the room, fastest ${fastestAdmission(watch.samples).toFixed(0)}/s over 1 s or more`,
        );
        return [
          ...(await checkEntries(stack, eventId, tally, ARRIVALS)),
          ...checkAdmissionRate(eventId, watch.samples, ADMIT_PER_SECOND),
          ...(await checkOrdersAdmitted(stack, eventId, tally)),
          ...(await checkToldSoldOut(stack, eventId, tally, STOCK, log)),
        ];
      },
    };
  },
  async inject(stack) {
    await stack.kill('order');
    return () => stack.restart('order');
  },
};
