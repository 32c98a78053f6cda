import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A sale: the stock of one event, and the ledger's count of its held and sold tickets. */
@Entity({ name: 'sales' })
export class Sale {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 64 })
  eventId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'total_stock', type: 'integer' })
  totalStock!: number;

  @Column({ name: 'unit_price', type: 'integer' })
  unitPrice!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'per_user_limit', type: 'integer', default: 0 })
  perUserLimit!: number;

  /**
   * Tickets held and sold, moved by the same statements that move the reservations (reservations.service.ts,
   * hold-expiry.ts); never written through the entity, so a save of the sale's settings cannot overwrite them.
   */
  @Column({ type: 'integer', insert: false, update: false })
  held!: number;

  @Column({ type: 'integer', insert: false, update: false })
  sold!: number;

  /** A change counter, bumped by every change; the sale lock is what serialises changes, not this column. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
