import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ReservationStatus } from '@boxoffice/contracts/inventory/reservation.dto';

/** The ledger row of one order's hold: HELD, then COMMITTED (sold) or RELEASED (back in stock). */
@Entity({ name: 'reservations' })
@Index('reservations_event_status', ['eventId', 'status'])
export class Reservation {
  @PrimaryColumn({ name: 'order_id', type: 'varchar', length: 64 })
  orderId!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 64 })
  eventId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'unit_price', type: 'integer' })
  unitPrice!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: ReservationStatus;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** A change counter, bumped by every change; the status guard in each UPDATE is what serialises changes, not this column. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
