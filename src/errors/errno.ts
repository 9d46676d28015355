/** errno names used by runtime operations (DESIGN §6); values are Linux's. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  ENOSPC: 28,
  EROFS: 30,
  ENAMETOOLONG: 36,
  ETIME: 62,
  ENONET: 64,
  EPROTO: 71,
  ERANGE: 34,
  ENODATA: 61,
  ELOOP: 40,
  ENOTSUPP: 524,
  EOPNOTSUPP: 95,
  ESTALE: 116,
  EOVERFLOW: 75,
  EAFNOSUPPORT: 97,
} as const;

export type ErrnoName = keyof typeof ERRNO;

export function errnoValue(name: ErrnoName): number {
  return ERRNO[name];
}
