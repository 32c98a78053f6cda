import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A sale's waiting room settings (docs/contract.md §2, _The waiting room_); the queue itself is in Redis. */
@Entity({ name: 'waiting_rooms' })
export class WaitingRoom {
  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  /** The rate; for an auto room, the one it opens at (the controller's is in Redis). */
  @Column({ name: 'admit_per_second', type: 'integer' })
  admitPerSecond!: number;

  /** `admitPerSecond: "auto"`: the rate follows the saga (admission-rate.ts). */
  @Column({ name: 'admit_auto', type: 'boolean' })
  admitAuto!: boolean;

  @Column({ name: 'pre_queue_until', type: 'timestamptz', nullable: true })
  preQueueUntil!: Date | null;

  // Column disabled_at (migration 1765670400000) is read no more (a room off is paused in Redis, room.lua): kept, since
  // an older instance still writes it during a rolling deploy; a later migration may drop it.

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
