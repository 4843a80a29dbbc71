import { readFileSync } from 'node:fs';

/**
 * How the `pipeline` process ends when what is around it goes away: a reader that closed the pipe
 * (`pipeline … | head -1`), or the npm/npx process that started it.
 */

/**
 * A closed pipe ends the command quietly with status 0, as `head` expects of what it reads from: nobody is
 * left to read the rest. Any other stream error still surfaces.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream, exit: (code: number) => void): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') exit(0);
    else throw error;
  });
}

/** The parent of a process, read from /proc (Linux); undefined elsewhere or when it is gone. */
export function parentOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so cut at the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Started through npm (`npm run local`, `npx pipeline local`), this process sits under npm and often a shell
 * that npm starts. Killing npm, or npm killing that shell, leaves this process running with nobody to stop
 * it. So it watches the processes that started it (its parent, and the npm above a shell) and, when one
 * goes, sends itself SIGTERM: the command then stops as after Ctrl-C. Returns a function that stops watching.
 */
export function stopWithLauncher(
  options: {
    env?: NodeJS.ProcessEnv;
    everyMs?: number;
    onGone?: () => void;
  } = {},
): () => void {
  const env = options.env ?? process.env;
  if (env.npm_command === undefined && env.npm_lifecycle_event === undefined) return () => undefined;
  const parent = process.ppid;
  const watched = [parent];
  const grandparent = parentOf(parent);
  if (grandparent !== undefined && grandparent > 1 && /\bnpm|npx\b|npm-cli/.test(commandLineOf(grandparent)))
    watched.push(grandparent);
  const onGone = options.onGone ?? (() => process.kill(process.pid, 'SIGTERM'));
  const timer = setInterval(() => {
    if (process.ppid === parent && watched.every(alive)) return;
    clearInterval(timer);
    onGone();
  }, options.everyMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
