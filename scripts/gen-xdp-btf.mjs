#!/usr/bin/env node
// Regenerate data/btf/xdp-types.btf, the kernel BTF bundled for CO-RE relocation when a machine
// has no /sys/kernel/btf/vmlinux: the types and kfuncs listed in src/btf/bundled.ts
// (BUNDLED_BTF_ROOTS), cut out of this machine's kernel BTF.
//
//   npm run build && node scripts/gen-xdp-btf.mjs [/sys/kernel/btf/vmlinux]
import { writeFileSync } from 'node:fs';
import { BUNDLED_BTF_ROOTS, bundledBtfPath, VMLINUX_BTF_PATH } from '../dist/btf/bundled.js';
import { readBtfFile } from '../dist/btf/file.js';
import { btfSubset } from '../dist/btf/subset.js';
import { encodeBtf } from '../dist/link/btf-encode.js';

const source = process.argv[2] ?? VMLINUX_BTF_PATH;
const { btf, missing } = btfSubset(readBtfFile(source), BUNDLED_BTF_ROOTS);
if (missing.length > 0) console.error(`not in ${source}: ${missing.join(', ')}`);
const bytes = encodeBtf(btf);
writeFileSync(bundledBtfPath(), bytes);
console.log(`${bundledBtfPath()}: ${btf.types.length - 1} types, ${bytes.length} bytes, from ${source}`);
