import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RELIABILITY_SUMMARY_DIR, reportReliability } from './summary';

describe('reliability summary', () => {
  const file = join(RELIABILITY_SUMMARY_DIR, 'summary-self-check.json');
  afterAll(() => rmSync(file, { force: true })); // not a scenario: keep it out of the printed summary

  it('writes one readable file per scenario with what was thrown and what held', () => {
    reportReliability('summary-self-check', { threw: { requests: 3 }, held: { 'zero 5xx': 'yes' } });

    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written).toEqual({
      scenario: 'summary-self-check',
      threw: { requests: 3 },
      held: { 'zero 5xx': 'yes' },
    });
  });
});
