import { Command, CommanderError } from 'commander';
import { commands } from '../../src/cli/commands/index.js';
import { XdpchainError, type ErrnoName } from '../../src/errors/index.js';
import { CliInternalError } from './outcome.js';

/** The exit status the CLI gives an internal error (src/cli/output.ts). */
const EXIT_BUG = 70;

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `xdpchain ARGS` inside this process (as src/cli/main.ts builds it), with its output captured
 * instead of printed: a child process per input would cost ~100 ms each. An internal error (the
 * CLI's status 70) is thrown as CliInternalError carrying what the CLI printed; a typed failure
 * is thrown again as the XdpchainError the CLI reported.
 */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  const program = new Command();
  program
    .name('xdpchain')
    .option('--state <dir>')
    .option('--engine <name>')
    .option('--max-memory <size>')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const register of commands) register(program);
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const previousExit = process.exitCode;
  process.exitCode = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  let status = 0;
  try {
    await program.parseAsync(['node', 'xdpchain', ...args]);
    status = Number(process.exitCode ?? 0);
  } catch (e) {
    // Usage errors (unknown option, missing argument) are commander's own, typed by their exit code.
    if (!(e instanceof CommanderError)) throw e;
    status = e.exitCode;
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = previousExit;
  }
  const result = { status, stdout: out.join(''), stderr: err.join('') };
  if (status === EXIT_BUG) throw new CliInternalError(result.stderr);
  if (status !== 0) {
    // A typed failure the CLI reported (`xdpchain: ERRNO: message`, or as JSON with --json): rebuild it so it is counted as one.
    const typed = /^xdpchain: (E[A-Z0-9]+): (.*)$/m.exec(result.stderr) ?? jsonError(result.stdout);
    if (!typed) throw new CliInternalError(`exit status ${status} without a typed error:\n${result.stderr}${result.stdout}`);
    throw new XdpchainError(typed[1] as ErrnoName, typed[2]);
  }
  return result;
}

/** The errno and message of an error the CLI printed as JSON (`{ "errno": ..., "message": ... }`), as [_, errno, message]. */
function jsonError(stdout: string): [string, string, string] | undefined {
  try {
    const e = JSON.parse(stdout) as { errno?: unknown; message?: unknown };
    return typeof e.errno === 'string' && typeof e.message === 'string' ? ['', e.errno, e.message] : undefined;
  } catch {
    return undefined;
  }
}
