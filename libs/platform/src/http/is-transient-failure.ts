import { DomainError } from './domain-error';
import { isInfrastructureFailure } from './infrastructure-failure';

/** A failure worth retrying later: a dependency (database, broker, another service) is unavailable right now. */
export function isTransientFailure(error: unknown): boolean {
  return (error instanceof DomainError && error.code === 'UNAVAILABLE') || isInfrastructureFailure(error);
}
