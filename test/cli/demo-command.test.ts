import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { main } from '../../cli/main';
import { runCli } from '../support/cli';
import { DEMO_WALL_TIME_FILE } from '../support/demo-wall-time';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

describe('pipeline demo', () => {
  it(
    'when run, it plays the day end to end, approves through the emailed links, and exits 0 with its summary',
    async () => {
      // Act
      const started = performance.now();
      const { code, out, err } = await runCli('demo');
      const seconds = (performance.now() - started) / 1000;
      // `bench/local-stack.ts --quick` (npm test) prints this time instead of playing the demo again.
      mkdirSync(dirname(DEMO_WALL_TIME_FILE), { recursive: true });
      writeFileSync(
        DEMO_WALL_TIME_FILE,
        `${JSON.stringify({ seconds, code, at: new Date().toISOString() })}\n`,
      );

      // Assess
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out).toContain('started release-orders-api-v1_4_0-4b825dc6');
      expect(out).toMatch(/3 approved by clicking the emailed link and confirming on the approval page/);
      expect(out).toMatch(/orders-api\s+prod\s+ap-southeast-2\s+4b825dc642cb\s+v1\.4\.0\s+3f7a9c3f7a9c/);
      expect(out).toMatch(/orders-api\s+ppe\s+eu-west-1\s+4b825dc642cb/);
      expect(out).toContain('All expected outcomes happened');
      // It ends with the metrics table of its own day: v1.4.0 reached production once, in all three regions,
      // and once in a day is 1.00 per day.
      expect(out).toMatch(
        /The day's delivery metrics[^\n]*\n\s*SERVICE\s+ENVIRONMENT\s+DEPLOYED\s+FAILED[\s\S]*orders-api\s+prod\s+1\s+0\s+1\.00\s/,
      );
      // orders-api migrated a real database in every environment/region before deploying; the build whose
      // migration PostgreSQL refused stopped before anything deployed.
      expect(out).toMatch(
        /orders-api\s+prod\s+ap-southeast-2\s+v1\.4\.0\s+succeeded\s+\S+\s+migrated: 2 applied/,
      );
      expect(out).toContain('Why the build with the failing migration never deployed:');
      expect(out).toContain('column "currency" of relation "orders" contains null values');
      // Then the production canary, on real requests: v1.4.0 passes every step, v1.5.0 (3× slower) is
      // caught at its first and switched back, with the numbers.
      expect(out).toContain('v1.4.0, a healthy release: release SUCCEEDED');
      expect(out).toMatch(
        / {6}5% {2}pass {2}errors 0\.0% vs 0\.0%, p95 \d+ ms vs \d+ ms at 5% after 1 min, 400 requests/,
      );
      expect(out).toMatch(/ {5}25% {2}pass {2}.* at 25% after 15 s, 500 requests/);
      expect(out).toMatch(/ {5}50% {2}pass {2}.* at 50% after 15 s, 1,000 requests/);
      expect(out).toContain('100%  green serves everything');
      expect(out).toContain('three times slower in production (latency:3x): release FAILED');
      expect(out).toMatch(
        / {6}5% {2}fail {2}p95 \d+ ms vs baseline \d+ ms \(\d\.\d×\) at 5% after 1 min, 400 requests/,
      );
      expect(out).toMatch(/0% {2}switched back to blue: DeploymentFailed: .*traffic shift failed: p95 /);
      expect(out).toContain('prod/eu-west-1 runs v1.4.0; 20,000 real requests');
    },
    HANG_LIMIT_MS,
  );

  it('when given a bad time scale, it exits 2 with one line', async () => {
    // Act
    const { code, err } = await runCli('demo', '--time-scale', 'fast');

    // Assess
    expect(code).toBe(2);
    expect(err).toBe('pipeline demo: --time-scale must be a positive number, got "fast"');
  });

  it('when --interactive, it waits for each approval to be given on the pages, then finishes the day', async () => {
    // Prepare: a "person" who approves each production region from the mailbox once the stack is up.
    // (On a sped-up wall clock a step's 60 s timeout is 60 ms of real time: faster than 1000x is flaky.)
    let url: string | undefined;
    const lines: string[] = [];
    const out = (text: string) => {
      lines.push(text);
      url ??= /Local stack on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    };
    const approved = new Set<string>();
    const person = (async () => {
      for (let i = 0; i < 3600 && approved.size < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (!url) continue;
        const { messages } = (await (await fetch(`${url}/api/mail`)).json()) as {
          messages: { subject: string; links: string[] }[];
        };
        for (const mail of messages.filter((m) => !approved.has(m.subject))) {
          const link = mail.links.find((l) => l.includes('action=approve'))!;
          // The second approver's page of an approval already given shows no button: nothing to do.
          const token = /name="formToken" value="([^"]+)"/.exec(await (await fetch(link)).text())?.[1];
          if (!token) continue;
          const decided = await fetch(link, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
            body: new URLSearchParams({ formToken: token }).toString(),
          });
          if (decided.status === 200 || decided.status === 409) approved.add(mail.subject);
        }
      }
    })();

    // Act
    const code = await main(['demo', '--interactive', '--port', '0', '--time-scale', '1000', '--no-canary'], {
      out,
      err: (text) => lines.push(`ERR ${text}`),
    });
    await person;

    // Assess
    expect(code).toBe(0);
    expect(lines.join('\n')).toContain('approved by you in the browser');
    expect(lines.join('\n')).toContain('All expected outcomes happened');
    expect([...approved].map((s) => s.replace(/.* (for|to) /, '').replace('?', '')).sort()).toEqual([
      'prod/ap-southeast-2',
      'prod/eu-west-1',
      'prod/us-east-1',
    ]);
  }, 240_000);
});
