// Ids travel in URLs, Redis keys and AMQP headers: one safe alphabet for all of them.
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const ID_RULE =
  'must be 1-64 characters of letters, digits, "_", "-", ".", ":" and start with a letter or digit';
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
