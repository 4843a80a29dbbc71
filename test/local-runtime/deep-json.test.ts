import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonTextDepth, MAX_JSON_DEPTH } from '../../shared/events/json-depth';
import { readGitHubWebhook } from '../../shared/git-tags/github-webhook';
import { postEvents, type LocalApiPipeline } from '../../local-runtime/local-api';
import type { RoutedEvent } from '../../local-runtime/event-bus';
import { runCli } from '../support/cli';
import { REPO_ROOT, sampleConfig } from '../support/fixtures';
import { SAMPLE_SECRET, sign, tagPushPayload } from '../shared/git-tags/webhook-requests';

/**
 * Deeply nested JSON from outside is refused at the door with a clear 400 (exit 2 for `simulate`), and an
 * internal error of a target is reported as a failure (500), never as "ignored" like a decision.
 */
const pushText = readFileSync(join(REPO_ROOT, 'events', 'ecr-push-orders-api.json'), 'utf8');
/** The sample push with a `detail.extra` nested `depth` levels (built as text: JSON.stringify would overflow). */
const nested = (depth: number) =>
  pushText.replace('"detail": {', `"detail": { "extra": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},`);

/** A pipeline whose only target fails as a bug would: RangeError, as a 5000-level event made it. */
function pipelineWhoseTargetFails(error: { name: string; message: string }): LocalApiPipeline {
  return {
    config: sampleConfig(),
    clock: { now: () => Date.UTC(2026, 10, 30) },
    putEvent: async (): Promise<RoutedEvent> => ({ deliveries: [{ rule: 'startPromotion', error }] }),
  } as unknown as LocalApiPipeline;
}

describe('JSON nesting depth', () => {
  it('when counting, brackets inside strings and escaped quotes do not count', () => {
    // Act & Assess
    expect(jsonTextDepth('{"a":[{"b":"[[[{{{\\"]]]"}]}')).toBe(3);
    expect(jsonTextDepth('1')).toBe(0);
    expect(jsonTextDepth(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toBe(MAX_JSON_DEPTH + 1);
  });

  it('when POST /events gets an event nested 5000 levels deep, it answers 400 saying so and starts nothing', async () => {
    // Prepare
    let delivered = 0;
    const pipeline = {
      ...pipelineWhoseTargetFails({ name: 'RangeError', message: 'x' }),
      putEvent: async () => {
        delivered++;
        return { deliveries: [] };
      },
    } as unknown as LocalApiPipeline;

    // Act
    const deep = await postEvents(pipeline, 'application/json', Buffer.from(nested(5000)));
    const fine = await postEvents(pipeline, 'application/json', Buffer.from(nested(MAX_JSON_DEPTH - 2)));

    // Assess
    expect(deep).toEqual({
      status: 400,
      body: {
        error: `the body nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; events need a handful`,
      },
    });
    expect(fine.status).toBe(200);
    expect(delivered).toBe(1);
  });

  it('when a target fails with an internal error, POST /events answers 500 with the failure, not "ignored"', async () => {
    // Act
    const result = await postEvents(
      pipelineWhoseTargetFails({ name: 'RangeError', message: 'Maximum call stack size exceeded' }),
      'application/json',
      Buffer.from(pushText),
    );

    // Assess
    expect(result.status).toBe(500);
    expect(result.body).toEqual({
      error:
        '1 of 1 events could not be handled (see results[].failed): an internal error, not a decision about the event',
      results: [
        { started: [], failed: 'startPromotion failed: RangeError: Maximum call stack size exceeded' },
      ],
    });
  });

  it('when a target turns the event down as malformed, it is still reported as ignored with the reason', async () => {
    // Act
    const result = await postEvents(
      pipelineWhoseTargetFails({
        name: 'MalformedEvent',
        message: 'malformed ECR Image Action event: detail: …',
      }),
      'application/json',
      Buffer.from(pushText),
    );

    // Assess
    expect(result).toEqual({
      status: 200,
      body: {
        results: [
          { started: [], ignored: 'startPromotion rejected it: malformed ECR Image Action event: detail: …' },
        ],
      },
    });
  });

  it('when a signed GitHub delivery is nested too deep, the webhook answers 400', () => {
    // Prepare
    const body = JSON.stringify(tagPushPayload({ sender: 'X' })).replace(
      '"X"',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
    );

    // Act
    const result = readGitHubWebhook(
      {
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': sign(body),
        },
        body,
      },
      SAMPLE_SECRET,
    );

    // Assess
    expect(result).toEqual({
      kind: 'rejected',
      status: 400,
      reason: `the body nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; events need a handful`,
    });
  });

  it('when simulate is given an event file nested too deep, it exits 2 naming the file', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'deep-event-'));
    const file = join(dir, 'deep.json');
    writeFileSync(file, nested(5000));

    try {
      // Act
      const { code, err } = await runCli('simulate', '--event', file);

      // Assess
      expect(code).toBe(2);
      expect(err).toBe(
        `pipeline simulate: ${file}: the event nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; events need a handful`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
