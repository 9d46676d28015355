export * from './opcodes.js';
export * from './raw.js';
export * from './instruction.js';
export * from './program.js';
export * from './builder.js';
export * from './asm.js';
export * from './disasm.js';
export * from './helper-names.js';
