import { runCli } from '../support/cli';

describe('pipeline demo', () => {
  it('when run, it plays the day end to end, approves through the emailed links, and exits 0 with its summary', async () => {
    // Act
    const { code, out, err } = await runCli('demo');

    // Assess
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('started release-orders-api-v1_4_0-4b825dc6');
    expect(out).toMatch(/3 approved by clicking the emailed link and confirming on the approval page/);
    expect(out).toMatch(/orders-api\s+prod\s+ap-southeast-2\s+4b825dc642cb\s+v1\.4\.0\s+3f7a9c3f7a9c/);
    expect(out).toMatch(/orders-api\s+ppe\s+eu-west-1\s+4b825dc642cb/);
    expect(out).toContain('All expected outcomes happened');
  }, 60_000);

  it('when given a bad time scale, it exits 2 with one line', async () => {
    // Act
    const { code, err } = await runCli('demo', '--time-scale', 'fast');

    // Assess
    expect(code).toBe(2);
    expect(err).toBe('pipeline demo: --time-scale must be a positive number, got "fast"');
  });
});
