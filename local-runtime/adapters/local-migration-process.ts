import { spawn } from 'node:child_process';
import type { LocalMigrationContext, LocalMigrationResult, LocalMigrationRunner } from './local-migrations';

export interface ProcessMigrationRunnerOptions {
  /** Where the command runs (the service's checkout; the local stand-in for its container image). */
  cwd: string;
  /**
   * What the process inherits (a container inherits nothing from the host): at least PATH, so the command
   * is found. The caller reads it from its own environment.
   */
  baseEnvironment: Record<string, string | undefined>;
  /** Extra environment for every task, e.g. where the local databases live. */
  environment?: (context: LocalMigrationContext) => Record<string, string>;
  /** A task still running after this much real time is killed (exit code 137, as ECS reports SIGKILL). */
  killAfterMs?: number;
  /**
   * When the task is stopped (`context.stop`), the process gets SIGTERM and, still running after this much
   * real time, SIGKILL: ECS's container stopTimeout. Default 30 s, ECS's default.
   */
  stopTimeoutMs?: number;
  /** Lines kept from the task's output (its log). */
  maxLines?: number;
}

/**
 * Runs a migration command as a real child process, as the container would: no shell, the revision's
 * environment (PIPELINE_COMMIT, PIPELINE_STAGE, …) plus `environment`, stdout and stderr as its log.
 */
export function processMigrationRunner(options: ProcessMigrationRunnerOptions): LocalMigrationRunner {
  return (context) =>
    new Promise<LocalMigrationResult>((resolve) => {
      const [file, ...args] = context.command;
      const lines: string[] = [];
      const keep = (chunk: Buffer) => {
        lines.push(
          ...chunk
            .toString('utf8')
            .split(/\r?\n/)
            .filter((l) => l !== ''),
        );
        const max = options.maxLines ?? 200;
        if (lines.length > max) lines.splice(0, lines.length - max);
      };
      const child = spawn(file!, args, {
        cwd: options.cwd,
        env: { ...options.baseEnvironment, ...context.environment, ...options.environment?.(context) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 5 * 60_000);
      let killTimer: NodeJS.Timeout | undefined;
      // As ECS stops a container: SIGTERM, then SIGKILL once the stop timeout has passed.
      const stop = () => {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 30_000);
      };
      const done = () => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        context.stop?.removeEventListener('abort', stop);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', (error) => {
        done();
        resolve({ exitCode: 127, output: [...lines, `cannot start ${file}: ${error.message}`] });
      });
      child.on('close', (code, signal) => {
        done();
        // A process ended by a signal exits as a container's does: 128 + the signal's number.
        const bySignal = signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 1;
        resolve({ exitCode: code ?? bySignal, output: lines });
      });
      if (context.stop?.aborted) stop();
      else context.stop?.addEventListener('abort', stop, { once: true });
    });
}
