import type { Abstract, Provider, Type } from '@nestjs/common';

/** What a check found: `up`, and what helps an operator see why (shown under the check's name). */
export type DependencyState = { up: boolean } & Record<string, unknown>;

/** Finds a provider of the service's module (its DataSource, its config...) for a check to look at. */
export type ResolveProvider = <T>(token: Type<T> | Abstract<T> | string | symbol) => T;

/**
 * One thing a service cannot do its job without, named as `GET /health/ready` names it. A probe that throws or
 * does not answer in time counts as down, with its error as the message.
 */
export interface ReadinessCheck {
  name: string;
  /** Providers this check needs that the service module does not declare; the health module provides them. */
  providers?: Provider[];
  probe(resolve: ResolveProvider): Promise<DependencyState>;
}
