import type { ServiceReadiness } from './monitor-snapshot';
import type { ServiceName } from './monitor-settings';

/**
 * GET `<url>/health/ready`; a service without it yet (404) is asked `GET /health`, the older alias. A 503 names
 * the failing dependencies in the body: terminus's `error` object, or a problem body's message.
 */
export async function readReadiness(
  name: ServiceName,
  url: string,
  timeoutMs: number,
): Promise<ServiceReadiness> {
  try {
    let response = await get(`${url}/health/ready`, timeoutMs);
    if (response.status === 404) response = await get(`${url}/health`, timeoutMs);
    if (response.status === 200) return { name, state: 'ready', missing: [] };
    return { name, state: 'not ready', missing: missingIn(response.body, response.status) };
  } catch (error) {
    return { name, state: 'down', missing: [whyUnanswered(error)] };
  }
}

async function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

function missingIn(body: string, status: number): string[] {
  try {
    const parsed = JSON.parse(body) as { error?: Record<string, unknown>; message?: unknown; code?: unknown };
    const failing = Object.keys(parsed.error ?? {});
    if (failing.length) return failing;
    if (typeof parsed.message === 'string') return [parsed.message];
    if (typeof parsed.code === 'string') return [parsed.code];
  } catch {
    // not JSON: the status says enough
  }
  return [`HTTP ${status}`];
}

function whyUnanswered(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
