/** A temporary root that looks like the machine of the upstream captures (os-release, cpuinfo, no DMI). */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { optIn } from '../../engine/consent/opt-in.js';
import { tempDir } from './tmp.js';

export async function captureLikeRoot(t: TestContext, options: { optedIn?: boolean; root?: string } = {}): Promise<string> {
  const root = options.root ?? (await tempDir(t));
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await mkdir(path.join(root, 'proc'), { recursive: true });
  await writeFile(path.join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nID=debian\n');
  await writeFile(path.join(root, 'proc/cpuinfo'), 'processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor @ 2.50GHz\n');
  if (options.optedIn ?? true) await optIn({ root });
  return root;
}
