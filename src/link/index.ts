export { encodeBtf } from './btf-encode.js';
export { encodeBtfExt, type BtfExtSection } from './btf-ext-encode.js';
export { ElfWriter } from './elf-writer.js';
export { writeObject } from './object-writer.js';
export { linkSpecs, linkObjects, type LinkOptions, type LinkResult, type FunctionReplacement } from './linker.js';
export {
  linkDispatcher,
  linkDispatcherSpecs,
  orderDispatcherComponents,
  type DispatcherComponentInput,
  type DispatcherLinkOptions,
  type OrderedComponent,
} from './dispatcher.js';
export { StringTable } from './strings.js';
