/**
 * One frame of a kernel call trace, in any of the forms kernels have printed:
 *    [<ffffffffa1002128>] do_one_initcall+0xb8/0x1e0          (before 4.10)
 *    [<ffffffff8118784a>] ? __vunmap+0x9a/0x100
 *    <IRQ>  [<ffffffff816606a8>] dump_stack+0x19/0x1b
 *    [warn_on_slowpath+71/115] warn_on_slowpath+0x47/0x73    (2.6)
 *    do_one_initcall+0xb8/0x1e0                               (4.10 and later)
 *    ? fat_detach+0x27/0xd0 [fat]
 *    foo+0x12/0x40 [foo 3f9c…]                                (with the module's build id)
 * The function is the symbol before "+offset/size" with "? " kept in front when the kernel marked
 * the frame unreliable (upstream's payload does so); the module is the bracketed name after it,
 * "kernel" when there is none. A frame with only an address has the function "???".
 */

export interface StackFrame {
  /** "dev_watchdog", or "? __queue_work" for a frame the kernel was not sure of. */
  readonly function: string;
  readonly module: string;
}

const MARKER = /^<{1,2}[A-Z#]+>{1,2}\s*/;
const ADDRESS = /^\[[^\]\s]*\]\s*/;
const FRAME = /^(\? )?(\S+?)(\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?:\s+\[(\S+?)(?:\s+[0-9a-f]+)?\])?\s*$/i;
const SYMBOL = /^[A-Za-z_.$][\w.$]*$/;
const BARE_ADDRESS = /^0x[0-9a-f]+$/i;

/** The frame a trace line shows, or undefined when the line is no frame (stack words, a "=====" rule). */
export function parseStackFrame(line: string): StackFrame | undefined {
  const rest = line.trim().replace(MARKER, '').replace(ADDRESS, '');
  const match = FRAME.exec(rest);
  if (match === null) return undefined;
  const [, unsure = '', symbol = '', offset, module] = match;
  const mark = unsure === '' ? '' : '? ';
  if (SYMBOL.test(symbol) && (offset !== undefined || module !== undefined)) return { function: mark + symbol, module: module ?? 'kernel' };
  if (BARE_ADDRESS.test(symbol) && offset === undefined) return { function: `${mark}???`, module: module ?? 'kernel' };
  return undefined;
}
