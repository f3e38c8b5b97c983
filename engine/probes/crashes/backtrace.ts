/** What an unwinder found in a core, in the terms of upstream's payload: threads of frames. */

export interface Frame {
  /** The symbol (upstream: the ELF symbol, dwfl_module_addrname), or null when unknown. */
  readonly symbol: string | null;
  /** The module: the executable by its path, a library by its file name; null outside any. */
  readonly module: string | null;
  readonly source: { readonly file: string; readonly line: number } | null;
}

export interface ThreadBacktrace {
  readonly tid: number;
  readonly frames: readonly Frame[];
}

export type UnwinderName = 'eu-stack' | 'gdb';

export interface Backtrace {
  /** The unwinder that ran, or null when none could. */
  readonly unwinder: UnwinderName | null;
  /** The pid the core names, when the unwinder says. */
  readonly pid: number | null;
  readonly threads: readonly ThreadBacktrace[];
  /** Why the backtrace is incomplete or missing (one line), or null when it is whole. */
  readonly error: string | null;
}
