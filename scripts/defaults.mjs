// The services' defaults for where infrastructure and services are, read from their one copy.
import { createRequire } from 'node:module';

export const INFRASTRUCTURE_DEFAULTS = createRequire(import.meta.url)('../libs/config/src/defaults.json');
