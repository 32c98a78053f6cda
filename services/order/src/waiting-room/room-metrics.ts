import { Injectable } from '@nestjs/common';
import {
  boundOnce,
  ServiceMetrics,
  type CounterOf,
  type HistogramOf,
} from '@boxoffice/metrics/service-metrics';
import { queuedIn, RoomQueue, type RoomCounters } from './room-queue';
import { RoomSettings } from './room-settings';

// From a queue served at once to an hour's wait (a big sale at a low admitPerSecond) and past it.
const WAIT_BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/**
 * What the waiting rooms count: the entries waiting and the rate per sale (read from Redis when Prometheus scrapes),
 * the admission tokens this instance issued first, and how long their entries waited for them.
 */
@Injectable()
export class RoomMetrics {
  private readonly admitted: CounterOf<'event_id'>;
  /** Its child per sale, bound once: a room admits up to 10,000 a second. */
  private readonly admittedIn = boundOnce((eventId: string) => this.admitted.labels({ event_id: eventId }));
  private readonly waits: HistogramOf;

  constructor(metrics: ServiceMetrics, rooms: RoomSettings, queue: RoomQueue) {
    this.admitted = metrics.counter({
      name: 'boxoffice_waiting_room_admitted_total',
      help: 'Admission tokens first issued by this instance (an entry looked at again is not counted again), by sale',
      labelNames: ['event_id'],
    });
    this.waits = metrics.histogram({
      name: 'boxoffice_waiting_room_wait_seconds',
      help: "Time from an entry's creation to the first issue of its admission token, on Redis's clock",
      buckets: WAIT_BUCKETS,
    });
    // One Redis call per room on and gauge when Prometheus scrapes, none while no room is on. Reset first: a room
    // turned off (or whose queue Redis lost) leaves no stale series.
    const perRoom = (name: string, help: string, value: (room: RoomCounters) => number) =>
      metrics.gaugeReadOnScrape({
        name,
        help,
        labelNames: ['event_id'],
        read: async (gauge) => {
          const on = rooms.on();
          const counters = await Promise.all(on.map((eventId) => queue.status(eventId)));
          gauge.reset();
          on.forEach((eventId, i) => {
            const room = counters[i];
            if (room) gauge.set({ event_id: eventId }, value(room));
          });
        },
      });
    perRoom(
      'boxoffice_waiting_room_queued',
      'Entries waiting in the room (queued and pre-queued, not yet served), by sale, for the rooms on',
      queuedIn,
    );
    perRoom(
      'boxoffice_waiting_room_admit_per_second',
      'The rate the room admits at now (an auto room: the one the controller set last), by sale, for the rooms on',
      (room) => room.rate,
    );
  }

  /** An entry's admission token was issued for the first time, `waitSeconds` after the entry was made (null: unknown). */
  issued(eventId: string, waitSeconds: number | null): void {
    this.admittedIn(eventId).inc();
    if (waitSeconds !== null) this.waits.observe(waitSeconds);
  }
}
