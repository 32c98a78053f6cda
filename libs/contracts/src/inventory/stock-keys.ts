// Owned by inventory (its stock gate writes these keys); published here because ops/audit reads a sale's gate and
// a chaos scenario plays a failover on it, and neither may reach into inventory's folders. A change of layout is a
// change of contract: the readers follow in the same commit.
// All keys of one sale share the hash tag {eventId}, so every script touches one Redis Cluster slot.
export interface SaleKeys {
  sale: string;
  reservations: string;
  users: string;
  expiries: string;
}

export function saleKeys(prefix: string, eventId: string): SaleKeys {
  const base = `${prefix}:{${eventId}}`;
  return {
    sale: `${base}:sale`,
    reservations: `${base}:reservations`,
    users: `${base}:users`,
    expiries: `${base}:expiries`,
  };
}

export function keyList(keys: SaleKeys): string[] {
  return [keys.sale, keys.reservations, keys.users, keys.expiries];
}
