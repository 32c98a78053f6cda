/** A one-line account of anything thrown: an Error, Nest's `{ status, message }` RPC error, or a bare value. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
