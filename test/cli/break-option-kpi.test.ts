import { BREAK_HELP, parseBreaks } from '../../cli/break-option';
import { UsageError } from '../../cli/usage-error';

describe('--break <commit>=kpi:<percent>%', () => {
  it('when a build is to hurt business, it gives its commit a KPI drop, beside the other breaks', () => {
    // Act
    const behaviours = parseBreaks(['badc0ffee=kpi:20%', 'badc0ffee=latency:2x', 'c0ffee=kpi:2.5%']);

    // Assess
    expect(behaviours).toEqual({
      badc0ffee: { kpiDrop: 0.2, latencyFactor: 2 },
      c0ffee: { kpiDrop: 0.025 },
    });
  });

  it.each(['20', '0%', '150%', 'half'])('when the drop is %s, it says how to write one', (value) => {
    const parse = () => parseBreaks([`badc0ffee=kpi:${value}`]);
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(
      `--break badc0ffee=kpi:${value}: "${value}" is not a drop of the business metric; write kpi:<percent>% with more than 0 and at most 100, e.g. kpi:20% (a fifth of its checkouts fail quietly)`,
    );
  });

  it('is in the --break help, with the metric that drops', () => {
    expect(BREAK_HELP).toContain('kpi:<percent>%');
    expect(BREAK_HELP).toContain('Orders/CheckoutSucceeded');
  });
});
