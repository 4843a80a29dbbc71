/** One image of a repository: its digest, its tags and when it was pushed (epoch ms). */
export interface RegistryImage {
  digest: string;
  tags: string[];
  pushedAt: number;
  registryId: string;
}

/**
 * The container image registry as a release and the reconciliation sweep see it: a git tag `vX.Y.Z` releases the image the build pushed
 * as `sha-<commit>`, so the release looks that tag up, adds the version tag to the very same manifest (the
 * digest does not change, and a rollback by version deploys exactly what was tested) and deploys by digest.
 * `shared/aws/ecr.adapter.ts` implements it with Amazon ECR, `local-runtime/adapters/local-image-registry.ts`
 * in memory for the local runtime, the tests and the demo. Repositories that do not exist are reported as
 * `PipelineMisconfiguredError`, throttling and AWS-side failures as `AwsTransientError`.
 */
export interface ImageRegistry {
  /**
   * Every image of the repository (tagged or not), in no particular order: what the reconciliation sweep
   * looks for a push whose event never arrived in. `registryId` is the account that owns the repository.
   */
  listImages(repository: { region: string; repository: string }): Promise<RegistryImage[]>;
  /** The digest the tag points at in the repository, or undefined when no image has that tag. */
  digestOf(image: { region: string; repository: string; tag: string }): Promise<string | undefined>;
  /**
   * Adds `tag` to the image `digest` (the same manifest, so the digest does not change). Idempotent: a tag
   * already on that digest is fine. Throws ReleaseTagConflictError when the tag names another digest.
   */
  addTag(image: { region: string; repository: string; digest: string; tag: string }): Promise<void>;
}
