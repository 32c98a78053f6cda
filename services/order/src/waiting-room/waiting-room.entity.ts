import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A sale's waiting room settings (docs/contract.md §2, _The waiting room_); the queue itself is in Redis. */
@Entity({ name: 'waiting_rooms' })
export class WaitingRoom {
  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ name: 'admit_per_second', type: 'integer' })
  admitPerSecond!: number;

  @Column({ name: 'pre_queue_until', type: 'timestamptz', nullable: true })
  preQueueUntil!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
