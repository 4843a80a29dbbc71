import type { Stage } from '../domain/stage';

/**
 * The input of a `release` execution. The image is not known yet: the first steps find the image the
 * build pushed as `sha-<commit>`, tag it with the version and pass it, pinned by digest, to every stage.
 */
export interface Release {
  service: string;
  /** The git tag, e.g. v1.4.0 or v1.4.0-rc.1. */
  version: string;
  commit: string;
  repository: string;
  registry: string;
  registryRegion: string;
  prerelease: boolean;
  allowDowngrade: boolean;
  imageWaitSeconds: number;
  trigger: {
    kind: 'tag';
    eventId: string;
    at: string;
    origin: string;
    createdBy?: string;
    /** The tag event asked to release a version older than production's. */
    allowDowngrade: boolean;
  };
  stages: Stage[];
}
