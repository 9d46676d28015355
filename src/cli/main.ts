#!/usr/bin/env node
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command();
program
  .name('xdpchain')
  .description("Run and compose clang-compiled XDP programs with the kernel's semantics")
  .version('0.1.0')
  .option('--state <dir>', 'state directory that keeps objects, devices and attachments between invocations (default $XDPCHAIN_STATE or ./.xdpchain)')
  .option('--engine <name>', 'execution engine: wasm (default, compiled) or interp (the reference interpreter); XDPCHAIN_ENGINE sets the default')
  .option(
    '--max-memory <size>',
    'most memory for maps, packets and stacks, like 512M or 2G (default and most: 3.75G, what a wasm32 memory leaves beside its shadow table)',
  )
  .option(
    '--cache-dir <dir>',
    'where compiled programs are kept between invocations (default $XDPCHAIN_CACHE_DIR, $XDG_CACHE_HOME/xdpchain or ~/.cache/xdpchain)',
  )
  .option('--no-cache', 'compile every program afresh, neither reading nor writing the cache')
  .showHelpAfterError();
for (const register of commands) register(program);
await program.parseAsync(process.argv);
