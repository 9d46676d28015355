export * from './errors/index.js';
export * from './isa/index.js';
export * from './vm/index.js';
export * from './btf/index.js';
export * from './spec/index.js';
export * from './packet/index.js';
