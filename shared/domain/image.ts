import * as z from 'zod';
import { lazySchema } from './lazy-schema';

export const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** An image pinned by digest: what the pipeline deploys everywhere, never a mutable tag. */
export const imageRefSchema = lazySchema(() =>
  z.object({
    /** Registry host, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com */
    registry: z.string().min(1).max(256),
    repository: z.string().min(1).max(256),
    /** sha256:<64 hex> */
    digest: z.string().regex(DIGEST, 'must be sha256:<64 hex>'),
  }),
);
export type ImageRef = z.infer<typeof imageRefSchema>;

/** Tags the build pushes for a commit: sha-<7 to 40 hex characters>. */
export const COMMIT_TAG = /^sha-([a-f0-9]{7,40})$/;

/** `registry/repository@sha256:…`, the reference written into task definitions. */
export function imageUri(image: ImageRef): string {
  return `${image.registry}/${image.repository}@${image.digest}`;
}

/** The commit id of a `sha-<commit>` tag, or undefined for any other tag. */
export function commitOfTag(tag: string): string | undefined {
  return COMMIT_TAG.exec(tag)?.[1];
}

/** First 12 hex characters of a digest, as operators read it. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
