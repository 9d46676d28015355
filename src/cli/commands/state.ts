import type { Command } from 'commander';
import { XdpchainError } from '../../errors/index.js';
import { checkStateDir, type StateFileReport } from '../../state/check.js';
import { repairStateDir, resetStateDir, type RepairReport } from '../../state/repair.js';
import { resolveStateDir, type StateDirectory } from '../../state/state-dir.js';
import type { Problem } from '../../state/validate.js';
import { action, emit, type JsonOption } from '../output.js';
import { globals } from '../session.js';

const problemLine = (p: Problem): string => `  ${p.path ? `${p.path}: ` : ''}${p.message}`;

function fileLines(r: StateFileReport, name: string): string[] {
  if (!r.exists) return [`${name}: none`];
  if (r.problems.length === 0) return [`${name}: sound`];
  // References (ids, devices, kept files) are checked once every field has the right type.
  const shapeOnly = r.problems.some((p) => /^expected |^missing$/.test(p.message));
  return [
    `${name}: ${r.problems.length} problem${r.problems.length > 1 ? 's' : ''}${shapeOnly ? ' (references are checked once these are fixed)' : ''}`,
    ...r.problems.map(problemLine),
  ];
}

function repairLines(r: RepairReport): string[] {
  const first = r.problems[0];
  const damaged = first
    ? `state.json was damaged: ${first.path ? `${first.path}: ` : ''}${first.message}${r.problems.length > 1 ? ` (and ${r.problems.length - 1} more problems)` : ''}`
    : '';
  const lines = r.removedLeftovers.map((f) => `removed ${f}, left by a command that was killed while writing`);
  switch (r.outcome) {
    case 'sound':
      return [...lines, 'state.json is sound: nothing to repair'];
    case 'previous':
      return [
        ...lines,
        damaged,
        `restored state.json.prev: the state before the change saved at ${r.previousWritten}, which is lost`,
        `the damaged file is kept as ${r.kept}`,
      ];
    case 'salvaged':
      return [
        ...lines,
        damaged,
        'state.json.prev is missing or damaged too, so the damaged parts were left out:',
        ...r.dropped.map((d) => `  dropped ${d.path}: ${d.what} (${d.why})`),
        `the damaged file is kept as ${r.kept}`,
      ];
    case 'failed':
      return [...lines, damaged];
  }
}

/** One `state` verb: `--json`, and the directory from --state / $XDPCHAIN_STATE / the default. */
function verb(parent: Command, name: string, description: string, run: (where: StateDirectory, opts: JsonOption) => void): void {
  parent
    .command(name)
    .description(description)
    .option('--json', 'print JSON')
    .action(action((opts: JsonOption, cmd: Command) => run(resolveStateDir(globals(cmd).state), opts)));
}

function check(where: StateDirectory, opts: JsonOption): void {
  const r = checkStateDir(where.path);
  const ok = r.current.problems.length === 0;
  const out = {
    dir: where.path,
    origin: where.origin,
    ok,
    problems: r.current.problems.map((p) => ({ file: r.current.file, field: p.path, message: p.message })),
    previous: { file: r.previous.file, exists: r.previous.exists, ok: r.previous.problems.length === 0, problems: r.previous.problems },
    warnings: r.current.warnings,
    leftovers: r.leftovers,
  };
  emit(opts, out, () =>
    [
      `state directory ${where.path} (from ${where.origin})`,
      ...fileLines(r.current, 'state.json'),
      ...fileLines(r.previous, 'state.json.prev'),
      ...r.current.warnings.map((w) => `warning: ${w}`),
      ...r.leftovers.map((f) => `leftover ${f} from a command killed while writing ('xdpchain state repair' removes it)`),
      ...(ok ? [] : ["run 'xdpchain state repair' to restore state.json.prev or leave out what is damaged"]),
    ].join('\n'),
  );
  if (!ok) process.exitCode = 1;
}

function repair(where: StateDirectory, opts: JsonOption): void {
  const r = repairStateDir(where.path);
  if (r.outcome === 'failed') throw new XdpchainError('EINVAL', `${where.path}: ${repairLines(r).join('; ')}; ${r.error}`, { problems: r.problems });
  emit(opts, r, (x) => repairLines(x).join('\n'));
}

function reset(where: StateDirectory, opts: JsonOption): void {
  emit(opts, resetStateDir(where.path), (r) =>
    r.removed.length ? r.removed.map((x) => `removed ${x.path} (${x.held})`).join('\n') : `${r.dir} keeps nothing: nothing to remove`,
  );
}

/** `state check`, `state repair`, `state reset`: look after the state directory itself. */
export function registerState(root: Command): void {
  const state = root.command('state').description('check, repair or reset the state directory (--state, $XDPCHAIN_STATE or ./.xdpchain)');
  verb(
    state,
    'check',
    'check state.json and state.json.prev field by field, their references, the kept object files, and that the state restores; exits 1 if state.json has problems',
    check,
  );
  verb(
    state,
    'repair',
    'repair a damaged state.json: put back state.json.prev (the state before the last change) if it is sound, else leave out what is damaged, saying exactly what; the damaged file is kept as state.json.damaged',
    repair,
  );
  verb(state, 'reset', 'start over: remove every program, map, device, attachment and capture the directory keeps (asks nothing; says what it removed)', reset);
}
