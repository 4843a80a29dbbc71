import * as z from 'zod';
import { lazySchema } from '../../../shared/domain/lazy-schema';

describe('lazySchema', () => {
  it('when nothing uses the schema, it is never built', () => {
    // Prepare
    const build = jest.fn(() => z.string());

    // Act
    lazySchema(build);

    // Assess
    expect(build).not.toHaveBeenCalled();
  });

  it('when used many times, it is built once and parses like the schema it stands for', () => {
    // Prepare
    const build = jest.fn(() => z.object({ service: z.string().min(1) }));
    const schema = lazySchema(build);

    // Act
    const parsed = schema.parse({ service: 'orders-api', extra: 1 });
    const failed = schema.safeParse({ service: '' });

    // Assess
    expect(parsed).toEqual({ service: 'orders-api' });
    expect(failed.success).toBe(false);
    expect(failed.error?.issues[0]?.path).toEqual(['service']);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('when nested in, extended or picked by other schemas, errors still name the full path', () => {
    // Prepare
    const inner = lazySchema(() => z.object({ region: z.string().regex(/^[a-z]{2}-[a-z]+-\d$/) }));
    const outer = lazySchema(() => z.object({ stage: inner, version: z.string() }));
    const extended = lazySchema(() => outer.pick({ stage: true }).extend({ taskToken: z.string() }));

    // Act
    const result = extended.safeParse({ stage: { region: 'Ireland' }, taskToken: 't', version: 'v1' });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['stage.region']);
    expect(extended.parse({ stage: { region: 'eu-west-1' }, taskToken: 't' })).toEqual({
      stage: { region: 'eu-west-1' },
      taskToken: 't',
    });
  });

  it('when checked with instanceof, it is the kind of schema it builds', () => {
    // Act
    const schema = lazySchema(() => z.object({}));

    // Assess
    expect(schema instanceof z.ZodObject).toBe(true);
    expect(schema instanceof z.ZodString).toBe(false);
  });
});
