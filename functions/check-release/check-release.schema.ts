import * as z from 'zod';
import { releaseSchema } from '../../shared/domain/release.schema';
import { stageSchema } from '../../shared/domain/stage';
import { lazySchema } from '../../shared/domain/lazy-schema';

/**
 * "Check the release": the service (absent in executions started before it was passed), the version,
 * whether the tag event allowed a downgrade, and at least one stage.
 */
export const checkReleaseSchema = lazySchema(() =>
  releaseSchema
    .pick({ version: true, allowDowngrade: true })
    .extend({ service: z.string().min(1).optional(), stages: z.array(stageSchema).min(1) }),
);
