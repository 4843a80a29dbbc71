import * as z from 'zod';
import { releaseSchema } from '../../shared/domain/release.schema';
import { stageSchema } from '../../shared/domain/stage';

/** "Check the release": the version, whether the tag event allowed a downgrade, and at least one stage. */
export const checkReleaseSchema = releaseSchema
  .pick({ version: true, allowDowngrade: true })
  .extend({ stages: z.array(stageSchema).min(1) });
