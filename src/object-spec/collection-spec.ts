import type { Btf } from '../btf/types.js';
import type { MapSpec } from './map-spec.js';
import type { ProgramSpec } from './program-spec.js';

/** Everything one object file describes; load it to get live programs and maps. */
export interface CollectionSpec {
  programs: Map<string, ProgramSpec>;
  maps: Map<string, MapSpec>;
  license: string;
  /**
   * Global and weak functions of `.text`, each laid out like a program (the function, then the
   * subprograms it reaches). Not loaded: static linking resolves other objects' calls against them.
   */
  functions?: Map<string, ProgramSpec>;
  btf?: Btf;
  /** Where the spec came from, for messages. */
  source?: string;
}
