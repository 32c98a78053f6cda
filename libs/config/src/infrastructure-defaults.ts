import defaults from './defaults.json';

/**
 * Where the infrastructure and the services are when nothing is set: the one copy, read by the services' settings,
 * by `scripts/*.mjs` (which load the JSON directly) and by the tests.
 */
export const INFRASTRUCTURE_DEFAULTS: Readonly<typeof defaults> = defaults;
