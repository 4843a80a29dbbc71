import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { parseLocalArgs, startLocalStack, type LocalStack } from '../../cli/local-command';
import { runCli } from '../support/cli';

/**
 * `pipeline local --time-scale bake=<n>,approval=<n>`: deployments and bakes run fast while waiting on a
 * person runs in real time, on the stack's one clock (its speed changes; `/api/clock` tells it).
 */
const ROOT = join(__dirname, '..', '..');
const event = (name: string) => readFileSync(join(ROOT, 'events', name), 'utf8');

describe('pipeline local --time-scale per purpose', () => {
  it.each([
    [['--time-scale', '600'], { timeScale: 600 }],
    [['--time-scale', 'bake=600,approval=real'], { timeScale: 600, approvalTimeScale: 1 }],
    [['--time-scale', 'approval=1'], { timeScale: 600, approvalTimeScale: 1 }],
    [['--time-scale', 'bake=1200'], { timeScale: 1200, approvalTimeScale: 600 }],
    [['--time-scale', 'bake=60,approval=60'], { timeScale: 60 }],
  ])('reads %j as %j', (args, expected) => {
    const parsed = parseLocalArgs(args);
    expect({ timeScale: parsed.timeScale, approvalTimeScale: parsed.approvalTimeScale }).toEqual({
      approvalTimeScale: undefined,
      ...expected,
    });
  });

  it.each([
    ['bake=600,aproval=1', 'unknown purpose "aproval" (did you mean "approval"?)'],
    ['approval=never', '"approval=never": a scale must be a positive number or real'],
    ['bake=600,bake=1', 'bake is given twice'],
  ])('when given --time-scale %j, it exits 2 with one line saying what is wrong', async (value, message) => {
    // Act
    const { code, out, err } = await runCli('local', '--port', '0', '--time-scale', value);

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/^pipeline local: --time-scale: /);
    expect(err).toContain(message);
  });

  describe('a running stack', () => {
    let stack: LocalStack | undefined;
    afterEach(async () => {
      await stack?.close();
    });

    it('when a release waits only for an approval, the one clock runs in real time, and the dashboard says how long an approval lasts', async () => {
      // Prepare
      stack = await startLocalStack({
        config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
        port: 0,
        timeScale: 1200,
        approvalTimeScale: 1,
        approvals: 'email',
      });
      const post = (body: string) =>
        fetch(`${stack!.url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
      const clock = async () =>
        (await (await fetch(`${stack!.url}/api/clock`)).json()) as {
          now: number;
          timeScale: number;
          timeScales: { bake: number; approval: number };
        };

      // Act: staging deploys and bakes at 1200x, then prod/eu-west-1 waits for its approvers
      await post(event('ecr-push-orders-api.json'));
      await stack.pipeline.settled();
      await post(event('git-tag-orders-api-v1.4.0.json'));
      for (let i = 0; i < 600 && stack.pipeline.mailbox.list().length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      let waiting = await clock();
      for (let i = 0; i < 100 && waiting.timeScale !== 1; i++) {
        await new Promise((r) => setTimeout(r, 50));
        waiting = await clock();
      }
      await new Promise((r) => setTimeout(r, 300));
      const later = await clock();
      const state = (await (await fetch(`${stack.url}/api/state`)).json()) as { timeScaleNote: string };

      // Assess
      expect(stack.pipeline.mailbox.list().length).toBeGreaterThan(0);
      expect(waiting).toMatchObject({ timeScale: 1, timeScales: { bake: 1200, approval: 1 } });
      // 300 real ms are about 300 pipeline ms now (at 1200x they would be six minutes)
      expect(later.now - waiting.now).toBeLessThan(5_000);
      expect(state.timeScaleNote).toBe(
        'time runs 1200x faster, and in real time while only approvals are pending: an approval of 168 hours ' +
          'expires in 168 real hours (sooner while other work deploys or bakes)',
      );
    });
  });
});
