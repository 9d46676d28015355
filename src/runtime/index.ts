export * from './runtime.js';
export * from './collection.js';
export * from './program.js';
export * from './tag.js';
export type { SkippedProgram } from './select.js';
export { CaptureReplay, REPLAY_BATCH_FRAMES, type ActionCount, type ReplayOptions, type ReplaySummary } from './replay.js';
