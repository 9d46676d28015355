export { applyCoreRelocations, type CoreRelocationOutcome, type CoreTarget, type RelocatedProgram } from './apply.js';
export { CORE_RELOCATION_KINDS, coreRelocationKind } from './kinds.js';
export { POISON_HELPER_ID } from './patch.js';
export { essentialName } from '../names.js';
export type { CoreRelocatable, CoreRelocation, CoreRelocationKind } from './relocation.js';
