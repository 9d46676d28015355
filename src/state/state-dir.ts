import { resolve } from 'node:path';

/** The state directory used when neither --state nor $XDPCHAIN_STATE names one. */
export const DEFAULT_STATE_DIR = '.xdpchain';

/** A state directory and what chose it, so messages can say which setting to change. */
export interface StateDirectory {
  readonly path: string;
  /** `--state`, `$XDPCHAIN_STATE` or `the default ./.xdpchain`. */
  readonly origin: string;
}

/** The directory from the option (the CLI's --state), else $XDPCHAIN_STATE, else ./.xdpchain. */
export function resolveStateDir(option?: string, env: NodeJS.ProcessEnv = process.env): StateDirectory {
  if (option !== undefined) return { path: resolve(option), origin: '--state' };
  if (env.XDPCHAIN_STATE) return { path: resolve(env.XDPCHAIN_STATE), origin: '$XDPCHAIN_STATE' };
  return { path: resolve(DEFAULT_STATE_DIR), origin: `the default ./${DEFAULT_STATE_DIR}` };
}
