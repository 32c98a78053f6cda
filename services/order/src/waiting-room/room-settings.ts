import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { WaitingRoom } from './waiting-room.entity';

/** How stale an instance's view of the rooms may be: a PUT on another instance applies here within this. */
export const ROOMS_REFRESH_MS = 1000;

/**
 * Every sale's room settings, read from Postgres at boot and every ROOMS_REFRESH_MS, so that POST /orders asks
 * nothing to learn whether its sale has a room on. Postgres away, the rooms read last stand.
 */
@Injectable()
export class RoomSettings implements OnApplicationBootstrap {
  private rooms: ReadonlyMap<string, WaitingRoom> = new Map();

  constructor(private readonly db: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
  }

  /** The sale's room as last read; undefined when it was never set. */
  of(eventId: string): WaitingRoom | undefined {
    return this.rooms.get(eventId);
  }

  /** True while the sale's room is enabled: POST /orders then needs an admission token. */
  isOn(eventId: string): boolean {
    return this.rooms.get(eventId)?.enabled === true;
  }

  /** The sales whose room is enabled. */
  on(): string[] {
    return [...this.rooms.values()].filter((room) => room.enabled).map((room) => room.eventId);
  }

  /** The sales whose room is enabled with `admitPerSecond: "auto"`. */
  auto(): string[] {
    return [...this.rooms.values()]
      .filter((room) => room.enabled && room.admitAuto)
      .map((room) => room.eventId);
  }

  /** Writes the room's settings and takes them here at once (other instances within ROOMS_REFRESH_MS). */
  async save(room: Omit<WaitingRoom, 'updatedAt'>): Promise<WaitingRoom> {
    const [saved] = (await this.db.query(
      `INSERT INTO waiting_rooms (event_id, enabled, admit_per_second, admit_auto, pre_queue_until, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (event_id) DO UPDATE SET enabled = $2, admit_per_second = $3, admit_auto = $4,
         pre_queue_until = $5, updated_at = now()
       RETURNING updated_at`,
      [room.eventId, room.enabled, room.admitPerSecond, room.admitAuto, room.preQueueUntil],
    )) as Array<{ updated_at: Date }>;
    const taken = Object.assign(new WaitingRoom(), room, { updatedAt: saved.updated_at });
    this.rooms = new Map(this.rooms).set(room.eventId, taken);
    return taken;
  }

  @Periodic('waiting rooms', ROOMS_REFRESH_MS)
  async reload(): Promise<void> {
    const rows = await this.db.getRepository(WaitingRoom).find();
    this.rooms = new Map(rows.map((row) => [row.eventId, row]));
  }
}
