import type { HttpProbe, HttpProbeResult } from './ports/deployment';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Smoke-check requests with Node's fetch: the same code in Lambda and locally (local targets are real
 * HTTP servers on loopback). Reads at most 64 KiB of a body so a huge response cannot exhaust memory.
 */
export const fetchProbe: HttpProbe = {
  async request({ url, method, timeoutMs }): Promise<HttpProbeResult> {
    const started = performance.now();
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal,
        redirect: 'manual',
        headers: { 'user-agent': 'ecs-promotion-pipeline-smoke' },
      });
    } catch (error) {
      if (signal.aborted) throw new Error(`no response within ${timeoutMs} ms`);
      throw new Error(describeFetchError(error));
    }
    const body = await readBounded(response, signal).catch(() => '');
    return { status: response.status, body, latencyMs: Math.round(performance.now() - started) };
  },
};

async function readBounded(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_BODY_BYTES && !signal.aborted) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
