/**
 * Reading the kernel log device without ever blocking: /dev/kmsg opened O_NONBLOCK hands out one
 * record per read() and EAGAIN once it has none, EPIPE once when records were overwritten before
 * they were read (the next read goes on with the oldest record left). Node has no lseek and a
 * blocking read would hold a thread-pool thread that close() cannot wake, so the follower polls:
 * it reads until EAGAIN, then waits. The same code reads a regular file (end of file = nothing
 * more yet) or a FIFO (no writer = nothing more yet) holding records in the kmsg format, which
 * is how tests and `source` settings other than /dev/kmsg feed it.
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface SourceRead {
  /** What the reads returned, decoded as UTF-8 (a character split between reads waits for the next). */
  readonly text: string;
  /** True when the source has nothing more for now; false when the read stopped at `maxReads`. */
  readonly drained: boolean;
  /** How many times the kernel said records were lost (EPIPE). */
  readonly overruns: number;
}

// /dev/kmsg refuses a read into a buffer smaller than the record (EINVAL); records are at most 8 KiB.
const BUFFER_BYTES = 64 * 1024;

export class KmsgSource {
  readonly path: string;
  readonly #fd: number;
  readonly #buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  readonly #decoder = new StringDecoder('utf8');
  #closed = false;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Opens the source for reading from its start (for /dev/kmsg: the oldest record the kernel still holds). */
  static open(path: string): KmsgSource {
    return new KmsgSource(path, fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  }

  /** Everything there is now, in at most `maxReads` reads (so a full buffer does not hold up the event loop). */
  read(maxReads = 4096): SourceRead {
    let text = '';
    let overruns = 0;
    for (let reads = 0; reads < maxReads; reads += 1) {
      let bytes: number;
      try {
        bytes = fs.readSync(this.#fd, this.#buffer, 0, BUFFER_BYTES, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return { text, drained: true, overruns };
        if (code === 'EPIPE') {
          overruns += 1;
          continue;
        }
        throw error;
      }
      if (bytes === 0) return { text, drained: true, overruns };
      text += this.#decoder.write(this.#buffer.subarray(0, bytes));
    }
    return { text, drained: false, overruns };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}
