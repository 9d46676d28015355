export * from './elf-file.js';
export * from './collection.js';
export { sectionKind, BPF_F_XDP_HAS_FRAGS } from './programs.js';
export * from './btf-file.js';
