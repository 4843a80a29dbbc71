import {
  newestCommitImage,
  pinnedDigest,
  reconcileSchedule,
  reconcileVerdict,
} from '../../../shared/domain/reconciliation';
import type { RegistryImage } from '../../../shared/ports/images';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const MINUTE = 60_000;
const POLICY = { graceMinutes: 2, lookbackHours: 24 };
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const image = (c: string, tags: string[], minutesAgo: number): RegistryImage => ({
  digest: digest(c),
  tags,
  pushedAt: NOW - minutesAgo * MINUTE,
  registryId: '123456789012',
});

describe('newestCommitImage', () => {
  it('when images carry sha-, version and latest tags, it picks the newest push tagged sha-<commit>', () => {
    // Act
    const newest = newestCommitImage([
      image('a', ['sha-aaaaaaa'], 30),
      image('b', ['sha-bbbbbbb', 'v1.4.0'], 20),
      image('c', ['latest'], 5),
      image('d', [], 1),
    ]);

    // Assess
    expect(newest).toEqual({
      digest: digest('b'),
      tag: 'sha-bbbbbbb',
      commit: 'bbbbbbb',
      pushedAt: NOW - 20 * MINUTE,
      registryId: '123456789012',
    });
  });

  it('when the build tagged short and full commits, it uses the full one', () => {
    // Act
    const newest = newestCommitImage([image('a', ['sha-0123456', `sha-${'0123456789'.repeat(4)}`], 3)]);

    // Assess
    expect(newest?.commit).toBe('0123456789'.repeat(4));
  });

  it('when two images were pushed at the same time, it always picks the same one', () => {
    // Prepare
    const both = [image('1', ['sha-1111111'], 3), image('2', ['sha-2222222'], 3)];

    // Act / Assess
    expect(newestCommitImage(both)?.digest).toBe(digest('2'));
    expect(newestCommitImage([...both].reverse())?.digest).toBe(digest('2'));
  });

  it('when no image has a sha- tag, it finds none', () => {
    expect(newestCommitImage([image('c', ['latest', 'sha-xyz'], 5)])).toBeUndefined();
  });
});

describe('reconcileVerdict', () => {
  const verdict = (images: RegistryImage[], runningDigest?: string, policy = POLICY) =>
    reconcileVerdict({ images, runningDigest, now: NOW, policy });

  it('when PPE runs an older image than the newest build, it promotes the newest', () => {
    // Act
    const result = verdict([image('a', ['sha-aaaaaaa'], 60), image('b', ['sha-bbbbbbb'], 10)], digest('a'));

    // Assess
    expect(result).toEqual({ promote: true, image: expect.objectContaining({ digest: digest('b') }) });
  });

  it('when PPE runs the newest build, it promotes nothing', () => {
    expect(verdict([image('b', ['sha-bbbbbbb'], 10)], digest('b'))).toEqual({
      promote: false,
      reason: 'PPE runs the newest image sha-bbbbbbb (bbbbbbbbbbbb) already',
    });
  });

  it('when PPE runs an image pushed after the newest build (a hand-deployed hotfix tag), it never deploys backwards', () => {
    // Act
    const result = verdict([image('a', ['sha-aaaaaaa'], 60), image('h', ['hotfix'], 5)], digest('h'));

    // Assess
    expect(result).toEqual({
      promote: false,
      reason: expect.stringContaining('the sweep never deploys backwards'),
    });
  });

  it('when PPE runs something the repository does not hold (the bootstrap image), it promotes the newest build', () => {
    expect(verdict([image('a', ['sha-aaaaaaa'], 60)], undefined)).toMatchObject({ promote: true });
  });

  it('when the newest build is within the grace period, it leaves it to its push event', () => {
    expect(verdict([image('b', ['sha-bbbbbbb'], 1)], digest('a'))).toEqual({
      promote: false,
      reason: 'sha-bbbbbbb (bbbbbbbbbbbb) was pushed 60s ago: its push event may still arrive',
    });
  });

  it('when the newest build is older than the lookback, it never promotes it', () => {
    expect(verdict([image('b', ['sha-bbbbbbb'], 25 * 60)], digest('a'))).toEqual({
      promote: false,
      reason: expect.stringContaining('before the 24h lookback'),
    });
  });

  it('when the repository holds no build, it says so', () => {
    expect(verdict([image('c', ['latest'], 10)], undefined)).toEqual({
      promote: false,
      reason: 'no image tagged sha-<commit> in the repository',
    });
  });
});

describe('pinnedDigest and reconcileSchedule', () => {
  it('reads the digest of a reference pinned by digest, and nothing from a tag reference', () => {
    expect(pinnedDigest(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@${digest('a')}`)).toBe(
      digest('a'),
    );
    expect(pinnedDigest('orders-api:bootstrap')).toBeUndefined();
  });

  it('writes EventBridge rate expressions with the unit EventBridge requires', () => {
    expect(reconcileSchedule(1)).toBe('rate(1 minute)');
    expect(reconcileSchedule(5)).toBe('rate(5 minutes)');
  });
});
