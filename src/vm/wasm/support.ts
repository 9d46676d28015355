import { i32, i64, none, type Expr } from './emit/expr.js';
import type { WasmModule } from './emit/module.js';

/**
 * `csum_partial(addr, len, seed) -> u32`: x86's csum_partial as src/helpers/checksum.ts defines
 * it: the sum of little-endian u32 words (a short tail zero-padded) and the seed, 0 only when all
 * are 0, otherwise the value in [1, 2^32 - 1] congruent to the sum modulo 2^32 - 1.
 */
export function compileCsumPartial(m: WasmModule): void {
  const [ADDR, LEN, SEED, SUM, I, END, TAIL] = [0, 1, 2, 3, 4, 5, 6];
  const g32 = (l: number): Expr => m.local.get(l, i32);
  const sum = (): Expr => m.local.get(SUM, i64);
  const body = m.block(
    null,
    [
      m.local.set(SUM, m.i64.extend_u(g32(SEED))),
      m.local.set(END, m.i32.add(g32(ADDR), m.i32.and(g32(LEN), m.i32.const(~3)))),
      m.local.set(I, g32(ADDR)),
      m.block(
        'words_done',
        [
          m.loop(
            'words',
            m.block(
              null,
              [
                m.br('words_done', m.i32.ge_u(g32(I), g32(END))),
                m.local.set(SUM, m.i64.add(sum(), m.i64.load32_u(0, 1, g32(I)))),
                m.local.set(I, m.i32.add(g32(I), m.i32.const(4))),
                m.br('words'),
              ],
              none,
            ),
          ),
        ],
        none,
      ),
      m.local.set(TAIL, m.i32.const(0)),
      m.block(
        'tail_done',
        [
          m.loop(
            'tail',
            m.block(
              null,
              [
                m.br('tail_done', m.i32.ge_u(g32(I), m.i32.add(g32(ADDR), g32(LEN)))),
                m.local.set(TAIL, m.i32.or(g32(TAIL), m.i32.shl(m.i32.load8_u(0, 1, g32(I)), m.i32.shl(m.i32.sub(g32(I), g32(END)), m.i32.const(3))))),
                m.local.set(I, m.i32.add(g32(I), m.i32.const(1))),
                m.br('tail'),
              ],
              none,
            ),
          ),
        ],
        none,
      ),
      m.local.set(SUM, m.i64.add(sum(), m.i64.extend_u(g32(TAIL)))),
      m.return(
        m.select(
          m.i64.ne(sum(), m.i64.const(0, 0)),
          m.i32.wrap(m.i64.add(m.i64.rem_u(m.i64.sub(sum(), m.i64.const(1, 0)), m.i64.const(-1, 0)), m.i64.const(1, 0))),
          m.i32.const(0),
        ),
      ),
    ],
    none,
  );
  m.addFunction('csum_partial', [i32, i32, i32], i32, [i64, i32, i32, i32], m.block(null, [body, m.unreachable()], none));
}

/**
 * `hash_find(table, mask, keys, keySize, key) -> slot + 1 | 0`: a probe of a hash map's memory
 * index (src/maps/hash-index.ts): FNV-1a of the key's bytes, then linear probing until the entry
 * whose hash and key bytes match, or an empty one.
 */
export function compileHashFind(m: WasmModule): void {
  const [TABLE, MASK, KEYS, SIZE, KEY, H, I, E, TAG, J, A2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const g = (l: number): Expr => m.local.get(l, i32);
  const set = (l: number, v: Expr): Expr => m.local.set(l, v);
  const byteLoop = (name: string, body: Expr[]): Expr =>
    m.block(
      `${name}_done`,
      [
        set(J, m.i32.const(0)),
        m.loop(name, m.block(null, [m.br(`${name}_done`, m.i32.ge_u(g(J), g(SIZE))), ...body, set(J, m.i32.add(g(J), m.i32.const(1))), m.br(name)], none)),
      ],
      none,
    );
  const body = m.block(
    null,
    [
      set(H, m.i32.const(0x811c9dc5 | 0)),
      byteLoop('hash', [set(H, m.i32.mul(m.i32.xor(g(H), m.i32.load8_u(0, 1, m.i32.add(g(KEY), g(J)))), m.i32.const(0x01000193)))]),
      set(I, m.i32.and(g(H), g(MASK))),
      m.loop(
        'probe',
        m.block(
          null,
          [
            set(E, m.i32.add(g(TABLE), m.i32.shl(g(I), m.i32.const(3)))),
            set(TAG, m.i32.load(4, 4, g(E))),
            m.if(m.i32.eqz(g(TAG)), m.return(m.i32.const(0))),
            m.if(
              m.i32.and(m.i32.ne(g(TAG), m.i32.const(-1)), m.i32.eq(m.i32.load(0, 4, g(E)), g(H))),
              m.block(
                null,
                [
                  set(A2, m.i32.add(g(KEYS), m.i32.mul(m.i32.sub(g(TAG), m.i32.const(1)), g(SIZE)))),
                  m.block(
                    'differs',
                    [
                      byteLoop('compare', [
                        m.br('differs', m.i32.ne(m.i32.load8_u(0, 1, m.i32.add(g(A2), g(J))), m.i32.load8_u(0, 1, m.i32.add(g(KEY), g(J))))),
                      ]),
                      m.return(g(TAG)),
                    ],
                    none,
                  ),
                ],
                none,
              ),
            ),
            set(I, m.i32.and(m.i32.add(g(I), m.i32.const(1)), g(MASK))),
            m.br('probe'),
          ],
          none,
        ),
      ),
    ],
    none,
  );
  m.addFunction('hash_find', [i32, i32, i32, i32, i32], i32, [i32, i32, i32, i32, i32, i32], m.block(null, [body, m.unreachable()], none));
}

/**
 * `lpm_find(table, key, dataBits) -> slot + 1 or 0`: the first (longest) prefix of an LpmLayout
 * table that covers the key { u32 prefix length; data }, considering prefixes no longer than the
 * key's length (capped at `dataBits`), as LpmTrieMap's trie walk finds it.
 */
export function compileLpmFind(m: WasmModule, entryStride: number): void {
  const [TABLE, KEY, BITS, MAX, N, E, L, J, REST] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const g = (l: number): Expr => m.local.get(l, i32);
  const set = (l: number, v: Expr): Expr => m.local.set(l, v);
  const k = (v: number): Expr => m.i32.const(v);
  const keyByte = (at: Expr): Expr => m.i32.load8_u(0, 1, m.i32.add(m.i32.add(g(KEY), k(4)), at));
  const entryByte = (at: Expr): Expr => m.i32.load8_u(0, 1, m.i32.add(m.i32.add(g(E), k(8)), at));
  const body = m.block(
    null,
    [
      set(MAX, m.select(m.i32.lt_u(m.i32.load(0, 4, g(KEY)), g(BITS)), m.i32.load(0, 4, g(KEY)), g(BITS))),
      set(N, m.i32.load(0, 4, g(TABLE))),
      set(E, m.i32.add(g(TABLE), k(4))),
      m.loop(
        'entries',
        m.block(
          null,
          [
            m.if(m.i32.eqz(g(N)), m.return(k(0))),
            set(L, m.i32.load(0, 4, g(E))),
            m.if(
              m.i32.le_u(g(L), g(MAX)),
              m.block(
                'differs',
                [
                  set(J, k(0)),
                  m.loop(
                    'bytes',
                    m.block(
                      null,
                      [
                        m.if(
                          m.i32.lt_u(g(J), m.i32.shr_u(g(L), k(3))),
                          m.block(null, [m.br('differs', m.i32.ne(keyByte(g(J)), entryByte(g(J)))), set(J, m.i32.add(g(J), k(1))), m.br('bytes')], none),
                        ),
                      ],
                      none,
                    ),
                  ),
                  set(REST, m.i32.and(g(L), k(7))),
                  m.br(
                    'differs',
                    m.i32.and(
                      m.i32.ne(g(REST), k(0)),
                      m.i32.ne(m.i32.and(m.i32.xor(keyByte(g(J)), entryByte(g(J))), m.i32.and(m.i32.shl(k(0xff), m.i32.sub(k(8), g(REST))), k(0xff))), k(0)),
                    ),
                  ),
                  m.return(m.i32.add(m.i32.load(4, 4, g(E)), k(1))),
                ],
                none,
              ),
            ),
            set(N, m.i32.sub(g(N), k(1))),
            set(E, m.i32.add(g(E), k(entryStride))),
            m.br('entries'),
          ],
          none,
        ),
      ),
    ],
    none,
  );
  m.addFunction(`lpm_find${entryStride}`, [i32, i32, i32], i32, [i32, i32, i32, i32, i32, i32], m.block(null, [body, m.unreachable()], none));
}
