/**
 * Hostile text for the web UI's XSS tests (xss.test.ts): strings that become markup, script or a
 * link if a page ever inserts them as HTML, evaluates them or builds a URL of them. Every one that
 * could run sets window.__xss, sets document.title or opens a dialog, and every element one could
 * make carries a data-xss attribute, so injectionReport() finds what got through, even where the
 * page's Content-Security-Policy stopped it from running.
 *
 * The records carrying them are POSTed through the real ingest paths (v2 headers, v3 JSON), each
 * field as hostile as the collector's validation lets it be (validation/validate-record.ts):
 * classification has exactly two "/", machine_id at most 32 characters, board_name, cpu_model and
 * bios_version printable ASCII under 200, system_name loses its quotes, kernel_version starts
 * "N.N.", build is [-_a-zA-Z0-9.]+ and event_id 32 hex digits (those two cannot carry markup).
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { type CollectorUrl, postV2, postV3, v2Headers, v3Body } from '../collector-helpers.js';
import { crashprobePayload, oopsPayload } from '../crash-payloads.js';
import { postRolloutStatus, postStatus, statusBody, statusPayload } from '../status-records.js';

/** The strings themselves; the page must show each exactly as written. */
export const HOSTILE = {
  script: '<script>window.__xss="script"</script>',
  img: '<img src=x data-xss onerror=window.__xss="img">',
  attributeBreakout: '"><svg data-xss onload=window.__xss="svg">',
  singleQuoteBreakout: "'><iframe data-xss src=javascript:window.__xss='iframe'></iframe>",
  textarea: '</textarea><img src=x data-xss onerror=alert("textarea")>',
  title: '</title><img src=x data-xss onerror=document.title="pwned">',
  javascriptUrl: 'javascript:window.__xss="url"',
  template: '${window.__xss="template"} {{constructor.constructor("window.__xss=`mustache`")()}} <%= 7*7 %>',
  csvFormula: '=HYPERLINK("http://127.0.0.1:1/","click")',
  csvCommand: "+cmd|' /C calc'!A0 @SUM(1) -2+3",
  /** Right-to-left override, zero-width space, joiner and no-break, and a byte-order mark. */
  unicode: 'invoice\u202Efdp.exe\u202C zero\u200Bwidth\u200D\u2060\uFEFF ٱلْعَرَبِيَّة 🧨',
  entities: '&lt;b&gt;not bold&lt;/b&gt; &amp;amp; &#60;i&#62;',
} as const;

/** A string of `length` characters (code points): the hostile strings over and over. */
export function longHostile(length: number): string {
  const all = [...Object.values(HOSTILE).join(' ')];
  return Array.from({ length }, (_, index) => all[index % all.length]).join('');
}

// Fields with limits get the hostile strings that fit them.
/** At most 32 characters each. */
export const HOSTILE_MACHINES = {
  img: '<img src=x onerror=__xss="m1">',
  textarea: '</textarea><b data-xss>m2</b>',
  unicode: '\u202Em3\u200B<svg onload=__xss=3>',
  status: '"><svg data-xss onload=__xss=4>',
} as const;
/** Printable ASCII, under 200 characters: board_name, cpu_model, bios_version. */
const ASCII = {
  board: HOSTILE.attributeBreakout,
  cpu: `${HOSTILE.javascriptUrl} ${HOSTILE.textarea}`,
  bios: `${HOSTILE.singleQuoteBreakout} ${HOSTILE.template}`,
} as const;

/** Classification parts hold no "/". */
export const HOSTILE_CLASSIFICATIONS = {
  v3: `org.xss/${HOSTILE.img}/${HOSTILE.attributeBreakout}`,
  v2: `org.xss/${HOSTILE.template}/${HOSTILE.unicode}`,
  long: `org.xss/long/${longHostile(300).replaceAll('/', '|')}`,
} as const;

/** system_name loses its quotes on the way in: one without any. */
export const HOSTILE_SYSTEM = '<script>window.__xss=1</script> <img src=x data-xss onerror=alert(1)>';

/** A field name → the text the record's detail shows for it, for the records seeded here. */
export type ShownFields = Readonly<Record<string, string>>;

export interface SeededRecord {
  readonly id: number;
  readonly classification: string;
  readonly fields: ShownFields;
  readonly payload: string;
}

/** The crashprobe frames of the hostile crash group, and the signature and first frame they give. */
export const HOSTILE_FRAMES = [`${HOSTILE.img}() - [/usr/lib64/${HOSTILE.attributeBreakout}.so]`, `${HOSTILE.template}() - [/usr/bin/app]`, `${HOSTILE.unicode}() - [/usr/bin/app]`] as const;
export const HOSTILE_SIGNATURE = `${HOSTILE.img} | ${HOSTILE.template} | ${HOSTILE.unicode}`;
/** The kernel oops: its reason and frames hostile too. */
export const HOSTILE_OOPS_FRAMES = ['<b data-xss>oops</b>', HOSTILE.script.replaceAll(' ', ''), 'do_exit'] as const;
export const HOSTILE_OOPS_SIGNATURE = HOSTILE_OOPS_FRAMES.join(' | ');

/** Fleet status text: channel (≤ 200), agent_version (≤ 200), last failure reason (≤ 2000), a rollout gate name (≤ 100). */
export const HOSTILE_FLEET = {
  channel: `${HOSTILE.img}${HOSTILE.unicode}`,
  agentVersion: `${HOSTILE.attributeBreakout}${HOSTILE.csvFormula}`,
  reason: `${HOSTILE.textarea} ${HOSTILE.script} ${HOSTILE.template} ${longHostile(600)}`,
  gate: `${HOSTILE.singleQuoteBreakout}`.slice(0, 100),
} as const;

/** Crash rules as an operator types them into the editor: a pattern (no "[" or "]", which mean a module) and a note. */
export const HOSTILE_RULE = { pattern: `${HOSTILE.img} ${HOSTILE.template}`, note: `${HOSTILE.textarea} ${HOSTILE.unicode} ${HOSTILE.csvCommand}` } as const;
/** A pattern the collector refuses; its message quotes it. */
export const HOSTILE_BAD_PATTERN = `${HOSTILE.attributeBreakout} [x`;

/** Posts the hostile records (v3, v2, a long one, two crashes of one group, a kernel oops, fleet status); what each shows. */
export async function postHostileRecords(collector: CollectorUrl): Promise<{ records: SeededRecord[] }> {
  const records: SeededRecord[] = [];
  const stored = (response: { status: number; body: Buffer; json<T>(): T }) => {
    assert.equal(response.status, 201, `a hostile record is stored: ${response.body.toString()}`);
    return response.json<{ id: number }>().id;
  };

  const v3Fields = {
    classification: HOSTILE_CLASSIFICATIONS.v3,
    machine_id: HOSTILE_MACHINES.img,
    host_type: `${HOSTILE.title} ${HOSTILE.csvFormula}`,
    system_name: HOSTILE_SYSTEM,
    build: '-1-1',
    kernel_version: `6.5.${HOSTILE.textarea}`,
    board_name: ASCII.board,
    cpu_model: ASCII.cpu,
    bios_version: ASCII.bios,
    event_id: 'a0'.repeat(16),
  };
  const v3Payload = `${Object.values(HOSTILE).join('\n')}\n`;
  records.push({ id: stored(await postV3(collector, v3Body(v3Fields, v3Payload))), classification: v3Fields.classification, fields: v3Fields, payload: v3Payload });

  // v2: the fields as HTTP headers (UTF-8), the payload as the body.
  const v2Fields = {
    classification: HOSTILE_CLASSIFICATIONS.v2,
    machine_id: HOSTILE_MACHINES.textarea,
    host_type: HOSTILE.unicode,
    system_name: HOSTILE.csvFormula.replaceAll('"', ''),
    build: '0.0_x-y',
    kernel_version: `6.1.${HOSTILE.template}`,
    board_name: HOSTILE.singleQuoteBreakout,
    cpu_model: HOSTILE.csvCommand,
    bios_version: HOSTILE.script,
    event_id: 'b1'.repeat(16),
  };
  const v2Payload = `${HOSTILE.unicode}\n${HOSTILE.img}\n${HOSTILE.entities}\n`;
  records.push({ id: stored(await postV2(collector, v2Headers(v2Fields), v2Payload)), classification: v2Fields.classification, fields: v2Fields, payload: v2Payload });

  const longFields = { classification: HOSTILE_CLASSIFICATIONS.long, machine_id: HOSTILE_MACHINES.unicode, host_type: longHostile(249), event_id: 'c2'.repeat(16) };
  const longPayload = longHostile(8000);
  records.push({ id: stored(await postV3(collector, v3Body(longFields, longPayload))), classification: longFields.classification, fields: longFields, payload: longPayload });

  for (const [index, machine] of [HOSTILE_MACHINES.img, HOSTILE_MACHINES.textarea].entries()) {
    const crash = { classification: 'org.clearlinux/crash/clr', machine_id: machine, event_id: `d${index}`.repeat(16) };
    const payload = crashprobePayload(HOSTILE_FRAMES);
    records.push({ id: stored(await postV3(collector, v3Body(crash, payload))), classification: crash.classification, fields: crash, payload });
  }
  const oops = { classification: 'org.clearlinux/kernel/bug', machine_id: HOSTILE_MACHINES.unicode, event_id: 'e3'.repeat(16) };
  const oopsText = oopsPayload(`${HOSTILE.script} ${HOSTILE.img}`, HOSTILE_OOPS_FRAMES);
  records.push({ id: stored(await postV3(collector, v3Body(oops, oopsText))), classification: oops.classification, fields: oops, payload: oopsText });

  // A machine check and a thermal event from hostile machines, for the Machine checks tab.
  const mce = { classification: 'org.clearlinux/mce/corrected', machine_id: HOSTILE_MACHINES.img, event_id: 'f4'.repeat(16) };
  records.push({ id: stored(await postV3(collector, v3Body(mce, HOSTILE.script))), classification: mce.classification, fields: mce, payload: HOSTILE.script });
  const thermal = { classification: 'org.clearlinux/mce/thermal', machine_id: HOSTILE_MACHINES.textarea, event_id: 'f5'.repeat(16) };
  records.push({ id: stored(await postV3(collector, v3Body(thermal, HOSTILE.img))), classification: thermal.classification, fields: thermal, payload: HOSTILE.img });

  // Fleet: a machine's status with a hostile channel, agent version and failure reason; rollout reports with a hostile gate.
  const created = Math.trunc(Date.now() / 1000) - 3600;
  const status = { machine: HOSTILE_MACHINES.status, created, channel: HOSTILE_FLEET.channel, state: 'failed', lastFailed: { sequence: 13, reason: HOSTILE_FLEET.reason } };
  const payload = JSON.stringify({ ...(JSON.parse(statusPayload(status)) as object), agent_version: HOSTILE_FLEET.agentVersion });
  assert.equal((await postV3(collector, statusBody(status, payload))).status, 201);
  await postStatus(collector, { machine: 'plain-machine', created });
  await postRolloutStatus(collector, { machine: HOSTILE_MACHINES.img, created, arm: 'candidate', state: 'rolled_back', gate: { name: HOSTILE_FLEET.gate, value: 0.9, threshold: 0.2 } });
  await postRolloutStatus(collector, { machine: 'stable-arm', created, arm: 'stable', state: 'waiting' });
  return { records };
}

/** What a page holds that record data must never make: any of it means text was inserted as HTML. */
export interface InjectionReport {
  /** Elements with a data-xss attribute (every element the corpus could make has one). */
  readonly marked: string[];
  /** Inline event handler attributes (the page's own script adds listeners, never attributes). */
  readonly handlers: string[];
  /** Elements of kinds the page never makes itself (its one textarea, a crash group's comment, is in index.html). */
  readonly foreign: string[];
  /** Scripts other than the page's own. */
  readonly scripts: string[];
  /** Links, sources and form targets with a javascript: URL. */
  readonly javascriptUrls: string[];
  /** What the corpus's script would have set. */
  readonly xss: string | null;
  readonly title: string;
}

/** The page's document and window as far as injectionReport reads them (the tests are compiled without the DOM's types). */
interface ProbedElement {
  readonly tagName: string;
  readonly attributes: ArrayLike<{ readonly name: string; readonly value: string }>;
  getAttribute(name: string): string | null;
}
declare const document: { querySelectorAll(selector: string): ArrayLike<ProbedElement>; readonly title: string };
declare const window: { readonly __xss?: unknown };

/** Reads the page for anything hostile text made (see InjectionReport). */
export function injectionReport(page: Page): Promise<InjectionReport> {
  return page.evaluate(() => {
    const all = Array.from(document.querySelectorAll('*'));
    const describe = (element: ProbedElement) => `<${element.tagName.toLowerCase()}${Array.from(element.attributes, (attribute) => ` ${attribute.name}="${attribute.value}"`).join('')}>`;
    const urls = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data'];
    return {
      marked: Array.from(document.querySelectorAll('[data-xss]'), describe),
      handlers: all.filter((element) => Array.from(element.attributes).some((attribute) => attribute.name.toLowerCase().startsWith('on'))).map(describe),
      foreign: Array.from(
        document.querySelectorAll(
          'img, iframe, frame, object, embed, b, i:not(.legend i), marquee, textarea:not(#crash-group-note textarea), style, base, meta[http-equiv], svg image, svg foreignObject',
        ),
        describe,
      ),
      scripts: Array.from(document.querySelectorAll('script'))
        .filter((script) => script.getAttribute('src') !== '/ui/app.js')
        .map(describe),
      javascriptUrls: all.filter((element) => urls.some((name) => /^\s*javascript:/i.test(element.getAttribute(name) ?? ''))).map(describe),
      xss: window.__xss === undefined ? null : String(window.__xss),
      title: document.title,
    };
  });
}

/**
 * One stop of the tour: `open` brings the page to a view (and waits until it shows), and then each of
 * `expectText` must be on the screen as text (within `scope`, default the body). A page added to
 * the UI joins the tour with one more step.
 */
export interface TourStep {
  readonly name: string;
  open(page: Page): Promise<void>;
  readonly expectText: readonly string[];
  /** Where the texts show; default body. */
  readonly scope?: string;
  /** Console messages this step causes on purpose (a refused login's 401). */
  readonly allowProblems?: RegExp;
  /** The page's title after the step; default the web UI's. */
  readonly title?: string;
}

export const UI_TITLE = 'telem collector';
export const LOGIN_TITLE = 'Log in · telem collector';
