import fc from 'fast-check';
import { formatCount } from '../../../shared/domain/count-text';

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1000, '1,000'],
    [12345, '12,345'],
    [1234567, '1,234,567'],
    [-4200, '-4,200'],
    [1499.6, '1,500'],
    [-0.2, '0'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ])('writes %p as %p', (value, text) => {
    expect(formatCount(value)).toBe(text);
  });

  it('writes every whole number as en-US grouping does', () => {
    const enUs = new Intl.NumberFormat('en-US');
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (value) => {
        expect(formatCount(value)).toBe(enUs.format(value));
      }),
    );
  });
});
