/** One answer of `GET /health/ready`, or `refused` once nothing listens on the port any more. */
export type ReadinessAnswer =
  { at: number; status: number; body: unknown } | { at: number; status: 'refused' };

/**
 * Polls a service's `GET /health/ready` every `intervalMs` until the port refuses, so that a
 * test sees what a load balancer sees while the service stops: the answers in order, the refusal last.
 */
export function watchReadiness(
  url: string,
  intervalMs = 20,
): { answers: ReadinessAnswer[]; closed: Promise<ReadinessAnswer[]> } {
  const answers: ReadinessAnswer[] = [];
  const closed = (async () => {
    for (;;) {
      try {
        const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        answers.push({ at: Date.now(), status: response.status, body: await response.json() });
      } catch (error) {
        if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') {
          answers.push({ at: Date.now(), status: 'refused' });
          return answers;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return { answers, closed };
}
