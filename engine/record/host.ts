/**
 * The headers that describe this machine (reference §A.2 table). Values are read in full —
 * upstream cut them at 78 characters and dropped a last character without newline — and each
 * missing source falls back to upstream's marker, so collectors see the same vocabulary.
 * Every file is read under the root, so tests can fake /etc/os-release, DMI and cpuinfo.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { underRoot } from '../paths/root.js';

export interface HostHeaders {
  readonly arch: string;
  readonly host_type: string;
  readonly build: string;
  readonly kernel_version: string;
  readonly system_name: string;
  readonly board_name: string;
  readonly cpu_model: string;
  readonly bios_version: string;
}

export const DMI_DIR = '/sys/class/dmi/id';
export const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'] as const;
export const CPUINFO_FILE = '/proc/cpuinfo';

export interface HostOptions {
  readonly root: string;
  /** uname() fields; default: this kernel's. */
  readonly uname?: { readonly machine: string; readonly release: string };
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** First line of a DMI attribute; upstream's `no_<key>_file` when absent, `blank` when empty. */
async function dmiValue(root: string, attribute: string, missingKey: string): Promise<string> {
  const text = await readText(underRoot(root, `${DMI_DIR}/${attribute}`));
  if (text === null) return `no_${missingKey}_file`;
  const line = (text.split('\n')[0] ?? '').trimEnd();
  return line.trim() === '' ? 'blank' : line;
}

/** KEY=value pairs of os-release, values raw (quotes kept, as upstream sends `build: "12"`). */
function parseOsRelease(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trimEnd());
    if (match?.[1] && !values.has(match[1])) values.set(match[1], match[2] ?? '');
  }
  return values;
}

async function readOsRelease(root: string): Promise<Map<string, string>> {
  for (const file of OS_RELEASE_FILES) {
    const text = await readText(underRoot(root, file));
    if (text !== null) return parseOsRelease(text);
  }
  return new Map();
}

async function cpuModel(root: string): Promise<string> {
  const text = await readText(underRoot(root, CPUINFO_FILE));
  if (text === null) return 'unknown';
  for (const line of text.split('\n')) {
    const match = /^model name\s*:\s?(.*)$/.exec(line);
    if (match) return match[1]?.trim() ? (match[1] ?? '').trimEnd() : 'blank';
  }
  return 'blank';
}

export async function readHostHeaders(options: HostOptions): Promise<HostHeaders> {
  const { root } = options;
  const uname = options.uname ?? { machine: os.machine(), release: os.release() };
  const [osRelease, sysVendor, productName, productVersion, boardName, boardVendor, biosVersion, cpu] = await Promise.all([
    readOsRelease(root),
    dmiValue(root, 'sys_vendor', 'sv'),
    dmiValue(root, 'product_name', 'pn'),
    dmiValue(root, 'product_version', 'pvr'),
    dmiValue(root, 'board_name', 'bn'),
    // Upstream names the missing-file marker of board_vendor "bv" too; kept for collectors.
    dmiValue(root, 'board_vendor', 'bv'),
    dmiValue(root, 'bios_version', 'bv'),
    cpuModel(root),
  ]);
  const id = osRelease.get('ID');
  const variant = osRelease.get('VARIANT_ID');
  return {
    arch: uname.machine || 'unknown',
    host_type: `${sysVendor}|${productName}|${productVersion}`,
    build: osRelease.get('VERSION_ID') || '0',
    kernel_version: uname.release || 'unknown',
    system_name: id ? (variant ? `${id}_${variant}` : id) : 'unknown',
    board_name: `${boardName}|${boardVendor}`,
    cpu_model: cpu,
    bios_version: biosVersion,
  };
}
