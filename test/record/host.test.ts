import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { readHostHeaders } from '../../engine/record/host.js';
import { tempDir } from '../helpers/tmp.js';

const UNAME = { machine: 'x86_64', release: '6.18.44-fc-v595' };

async function put(root: string, file: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), content);
}

test("readHostHeaders: a machine without DMI, os-release or cpuinfo gets upstream's markers", async (t) => {
  const root = await tempDir(t);
  assert.deepEqual(await readHostHeaders({ root, uname: UNAME }), {
    arch: 'x86_64',
    host_type: 'no_sv_file|no_pn_file|no_pvr_file',
    build: '0',
    kernel_version: '6.18.44-fc-v595',
    system_name: 'unknown',
    board_name: 'no_bn_file|no_bv_file',
    cpu_model: 'unknown',
    bios_version: 'no_bv_file',
  });
});

test('readHostHeaders: full values, spaces and long lines kept, os-release quotes kept as upstream sends them', async (t) => {
  const root = await tempDir(t);
  const longProduct = `ThinkPad X1 Carbon Gen 11 ${'with a very long product name '.repeat(4)}`.trimEnd();
  await put(root, '/etc/os-release', 'NAME="Clear Linux OS"\nVERSION_ID="12"\nID=clear-linux-os\nID_LIKE=clear\nVARIANT_ID=desktop\n');
  await put(root, '/sys/class/dmi/id/sys_vendor', 'LENOVO\n');
  await put(root, '/sys/class/dmi/id/product_name', `${longProduct}\n`);
  await put(root, '/sys/class/dmi/id/product_version', 'ThinkPad X1');
  await put(root, '/sys/class/dmi/id/board_name', '21HM004GUS\n');
  await put(root, '/sys/class/dmi/id/board_vendor', '   \n');
  await put(root, '/sys/class/dmi/id/bios_version', 'N3XET53W (1.28 )\n');
  await put(root, '/proc/cpuinfo', 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor @ 2.50GHz\n\nprocessor\t: 1\nmodel name\t: other\n');
  const headers = await readHostHeaders({ root, uname: UNAME });
  assert.equal(longProduct.length > 80, true);
  assert.equal(headers.host_type, `LENOVO|${longProduct}|ThinkPad X1`);
  assert.equal(headers.build, '"12"');
  assert.equal(headers.system_name, 'clear-linux-os_desktop');
  assert.equal(headers.board_name, '21HM004GUS|blank');
  assert.equal(headers.bios_version, 'N3XET53W (1.28 )');
  assert.equal(headers.cpu_model, 'Intel(R) Xeon(R) Processor @ 2.50GHz');
});

test('readHostHeaders: /usr/lib/os-release is used when /etc/os-release is missing; cpuinfo without a model is "blank"', async (t) => {
  const root = await tempDir(t);
  await put(root, '/usr/lib/os-release', 'ID=debian\nVERSION_ID="12"\n');
  await put(root, '/proc/cpuinfo', 'processor\t: 0\nBogoMIPS\t: 50.00\n');
  const headers = await readHostHeaders({ root, uname: UNAME });
  assert.equal(headers.system_name, 'debian');
  assert.equal(headers.build, '"12"');
  assert.equal(headers.cpu_model, 'blank');
});
