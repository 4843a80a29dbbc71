/**
 * The directory `pipeline local --data-dir` keeps its state in:
 *
 * - `dynamodb/`  the pipeline table, written by dynalite itself (LevelDB through `classic-level`, whose
 *                prebuilt binaries load without install scripts);
 * - `state.json` everything else: the Step Functions engine (executions, history, where running ones are),
 *                local ECS, ECR, alarms, the mailbox and the keys that sign approval links. Written whole, to
 *                a temporary file that is then renamed over it, so a crash leaves the old or the new file;
 *                readable by its owner only (0600), since it holds signing keys;
 * - `pipeline-local.lock` the process using the directory: two stacks on one directory would overwrite
 *                each other's state.
 *
 * The directory itself is its owner's only (0700): the tables hold task tokens, and `state.json` the keys.
 */
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DataDirError } from './data-dir-error';
import { LOCAL_STATE_FORMAT, LOCAL_STATE_VERSION, type LocalState } from './local-state';

const STATE_FILE = 'state.json';
const DYNAMODB_DIR = 'dynamodb';
const LOCK_FILE = 'pipeline-local.lock';
const OWN_ENTRIES = new Set([STATE_FILE, `${STATE_FILE}.tmp`, DYNAMODB_DIR, LOCK_FILE]);

/** Owner only: `state.json` holds the keys that sign approval links and webhook deliveries. */
const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;

/** What to tell the user to do about a data directory that cannot be used. */
const FIX = 'delete the directory or pick another --data-dir';

/** An open, locked data directory. */
export class DataDir {
  private released = false;

  private constructor(
    /** Absolute path. */
    readonly path: string,
  ) {}

  /**
   * Opens (creating it when missing) and locks a data directory.
   * @throws DataDirError when it is a file, cannot be created or written, holds files of something else,
   *   or another running stack uses it
   */
  static open(path: string): DataDir {
    const dir = resolve(path);
    const kind = statKind(dir);
    if (kind === 'other')
      throw new DataDirError(
        `data directory ${dir} is a file, not a directory: pick a directory with --data-dir`,
      );
    if (kind === 'missing') {
      try {
        makeDirectories(dir);
      } catch (error) {
        throw new DataDirError(
          `data directory ${dir} cannot be created (${reason(error)}): pick another --data-dir`,
        );
      }
    }
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (error) {
      throw new DataDirError(
        `data directory ${dir} cannot be read (${reason(error)}): pick another --data-dir`,
      );
    }
    const foreign = entries.filter((name) => !OWN_ENTRIES.has(name));
    if (foreign.length > 0)
      throw new DataDirError(
        `data directory ${dir} holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}), ` +
          'so it is not one pipeline local made: pick an empty or new directory with --data-dir',
      );
    try {
      // A directory made by an earlier version, or by hand, may be readable by others: it holds keys.
      chmodSync(dir, PRIVATE_DIR);
    } catch (error) {
      throw new DataDirError(
        `data directory ${dir} cannot be made private to you (${reason(error)}): pick another --data-dir`,
      );
    }
    lock(dir);
    return new DataDir(dir);
  }

  /** Where dynalite keeps the tables. */
  get dynamoPath(): string {
    return join(this.path, DYNAMODB_DIR);
  }

  private get stateFile(): string {
    return join(this.path, STATE_FILE);
  }

  /**
   * The saved state, or undefined when nothing was saved yet.
   * @throws DataDirError when the file is damaged or from another format version
   */
  readState(): LocalState | undefined {
    let text: string;
    try {
      text = readFileSync(this.stateFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DataDirError(`${this.stateFile} cannot be read (${reason(error)}): ${FIX}`);
    }
    let state: unknown;
    try {
      state = JSON.parse(text);
    } catch (error) {
      throw this.damaged(`not JSON: ${reason(error)}`);
    }
    const record = (state ?? {}) as Record<string, unknown>;
    if (typeof state !== 'object' || record.format !== LOCAL_STATE_FORMAT)
      throw new DataDirError(`${this.stateFile} is not a pipeline local state file: ${FIX}`);
    if (record.version !== LOCAL_STATE_VERSION)
      throw new DataDirError(
        `${this.stateFile} was written by another version of pipeline local (state format ` +
          `${JSON.stringify(record.version)}, this one reads ${LOCAL_STATE_VERSION}): ${FIX}`,
      );
    const missing = [
      'savedAt',
      'clockNow',
      'secrets',
      'engine',
      'platform',
      'registry',
      'alarms',
      'mailbox',
    ].filter((key) => record[key] === undefined || record[key] === null);
    if (missing.length > 0) throw this.damaged(`no ${missing.join(', ')}`);
    return state as LocalState;
  }

  /** Replaces the saved state: a crash at any point leaves either the previous file or this one. */
  writeState(state: LocalState): void {
    const temporary = `${this.stateFile}.tmp`;
    const fd = openSync(temporary, 'w', PRIVATE_FILE);
    try {
      // The mode of `open` applies only to a new file: one left by a crash keeps its own until told.
      fchmodSync(fd, PRIVATE_FILE);
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.stateFile);
  }

  /** The error for a state file whose content cannot be used: what, which file, how to fix. */
  damaged(what: string): DataDirError {
    return new DataDirError(`${this.stateFile} is damaged (${what}): ${FIX}`);
  }

  /** Lets another stack use the directory. */
  release(): void {
    if (this.released) return;
    this.released = true;
    rmSync(join(this.path, LOCK_FILE), { force: true });
  }
}

/**
 * Creates a directory and its missing parents, one level at a time. Not `mkdirSync(…, { recursive: true })`:
 * where a filesystem answers ENOENT for a parent that exists (`/proc`, `/sys` on Linux), node's recursive
 * mkdir retries forever, and `pipeline local --data-dir /proc/x` hung at 100% CPU, printing nothing.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let level = dir; statKind(level) === 'missing'; level = dirname(level)) {
    if (dirname(level) === level) break; // a root that cannot be stat'ed: let mkdir say why
    missing.unshift(level);
  }
  for (const level of missing) mkdirSync(level, { mode: PRIVATE_DIR });
}

function statKind(path: string): 'directory' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

/** Creates the lock file with this process's id; takes over one left by a process that is gone. */
function lock(dir: string): void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new DataDirError(
          `data directory ${dir} is not writable (${reason(error)}): pick another --data-dir`,
        );
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid))
        throw new DataDirError(
          `data directory ${dir} is in use by another pipeline local (process ${pid}): stop it or pick another --data-dir`,
        );
      unlinkSync(file); // left behind by a process that crashed
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return;
  }
  throw new DataDirError(`the lock file ${file} keeps changing: is another pipeline local starting on it?`);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true; // another stack in this process still has it open
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An error's message without the stack; an fs error's without the path it repeats (`ENOTDIR: not a directory`). */
function reason(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof message !== 'string') return String(error);
  return typeof code === 'string' && message.startsWith(`${code}:`)
    ? (message.split(',')[0] ?? message)
    : message;
}
