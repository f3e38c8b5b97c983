/**
 * A crash's signature, the key the crash view groups by: the first SIGNATURE_FRAMES functions of
 * the crashing thread that the skip list (crash/skip-rules.ts) does not leave out, joined by " | ",
 * as Mozilla Socorro does. Grouping by the first frame alone made raise, memcpy or a kernel's
 * warn_slowpath_fmt the "culprit" of every crash that ended there; the frames below them tell the
 * crashes apart. A crash with only skipped frames keeps its first frame; one without frames has
 * no signature.
 */
import { type Frame, crashingThreadFrames } from './frames.js';
import type { SkipList } from './skip-rules.js';

export const SIGNATURE_FRAMES = 3;
export const SIGNATURE_SEPARATOR = ' | ';

export function frameSignature(frames: readonly Frame[], skip: SkipList): string | null {
  const first = frames[0];
  if (!first) return null;
  const relevant = frames.filter((frame) => !skip.skips(frame)).slice(0, SIGNATURE_FRAMES);
  return (relevant.length > 0 ? relevant : [first]).map((frame) => frame.function).join(SIGNATURE_SEPARATOR);
}

/** The signature of a payload's crashing thread. */
export function payloadSignature(payload: string, skip: SkipList): string | null {
  return frameSignature(crashingThreadFrames(payload), skip);
}
