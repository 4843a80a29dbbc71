import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDir } from '../../local-runtime/data-dir/data-dir';
import {
  LOCAL_STATE_FORMAT,
  LOCAL_STATE_VERSION,
  type LocalState,
} from '../../local-runtime/data-dir/local-state';

/** `state.json` holds the keys that sign approval links and webhooks: its owner's only, and so is its directory. */
let parent: string;
const open: DataDir[] = [];

beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'pipeline-data-dir-mode-'));
});

afterEach(() => {
  for (const dir of open.splice(0)) dir.release();
  rmSync(parent, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;
const state = { format: LOCAL_STATE_FORMAT, version: LOCAL_STATE_VERSION } as unknown as LocalState;

function openDir(path: string): DataDir {
  const dir = DataDir.open(path);
  open.push(dir);
  return dir;
}

describe('the data directory’s permissions', () => {
  it('when the directory is new, it is created 0700 and state.json is written 0600', () => {
    // Act
    const dir = openDir(join(parent, 'new', 'state-dir'));
    dir.writeState(state);

    // Assess
    expect(mode(dir.path)).toBe(0o700);
    expect(mode(join(dir.path, 'state.json'))).toBe(0o600);
  });

  it('when an earlier version left the directory and the files open to others, they become the owner’s only', () => {
    // Prepare
    const path = join(parent, 'old');
    openDir(path).release();
    open.pop();
    chmodSync(path, 0o755);
    writeFileSync(join(path, 'state.json.tmp'), '{}', { mode: 0o644 });
    chmodSync(join(path, 'state.json.tmp'), 0o644);

    // Act
    const dir = openDir(path);
    dir.writeState(state);

    // Assess
    expect(mode(path)).toBe(0o700);
    expect(mode(join(path, 'state.json'))).toBe(0o600);
  });
});

describe('a data directory that cannot be created', () => {
  it('when its parent answers ENOENT though it exists (/proc on Linux), it is refused at once, not retried forever', () => {
    // Act
    const opening = () => openDir(join('/proc', 'pipeline-data-dir-test', 'state'));

    // Assess
    expect(opening).toThrow(
      'data directory /proc/pipeline-data-dir-test/state cannot be created (ENOENT: no such file or directory): pick another --data-dir',
    );
  });

  it('when several levels are missing, each is created, its owner’s only', () => {
    // Act
    const dir = openDir(join(parent, 'a', 'b', 'c'));

    // Assess
    expect(mode(join(parent, 'a'))).toBe(0o700);
    expect(mode(join(parent, 'a', 'b'))).toBe(0o700);
    expect(mode(dir.path)).toBe(0o700);
  });
});
