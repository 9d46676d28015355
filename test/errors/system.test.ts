import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onUserPath, systemError } from '../../src/errors/index.js';
import { errorOf } from '../error-of.js';

/** An error shaped as Node's fs functions throw them (root cannot provoke EACCES or EROFS for real). */
const nodeError = (code: string, text: string) => Object.assign(new Error(`${code}: ${text}, open '/x'`), { code, syscall: 'open', path: '/x' });

describe('system errors on paths the user chose', () => {
  it('become typed errors naming the errno, the option and the path', () => {
    const e = errorOf(() => onUserPath('--out /nonexistent/dir/x', () => readFileSync('/nonexistent/dir/x')));
    expect(e.errno).toBe('ENOENT');
    expect(e.message).toBe('--out /nonexistent/dir/x: no such file or directory');
    expect(systemError(nodeError('EACCES', 'permission denied'), '--out /x')?.message).toBe('--out /x: permission denied');
    expect(systemError(nodeError('EROFS', 'read-only file system'), '--out /x')?.errno).toBe('EROFS');
  });

  it('leave anything else alone: a bug stays a bug', () => {
    const bug = new TypeError('x is undefined');
    expect(() =>
      onUserPath('--out /x', () => {
        throw bug;
      }),
    ).toThrow(bug);
    expect(systemError(Object.assign(new Error('odd'), { code: 'ERR_SOMETHING' }), '--out /x')).toBeUndefined();
  });
});
