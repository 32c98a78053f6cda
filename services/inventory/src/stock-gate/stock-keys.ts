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
