/**
 * Finds and reads a policy document: an explicit path, or a search of a directory for
 * telem.policy.*, .telemrc* or a "telem" key in package.json (cosmiconfig). YAML and JSON keep
 * positions for diagnostics; JavaScript and TypeScript modules export the policy as default.
 * A named file that is a legacy telemetrics.conf (*.conf, or an INI [settings] section) is
 * translated by engine/legacy/ and its diagnostics point at the conf's lines.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import type { Diagnostic, DiagnosticCode } from '../diagnostics/diagnostic.js';
import { looksLikeTelemetricsConf, telemetricsConfSource } from '../legacy/conf-source.js';
import { POLICY_SEARCH_PLACES } from './search-places.js';
import type { PolicySource, SourceFormat } from '../source/policy-source.js';
import { type ParsedText, parseWithPositions } from './yaml-source.js';
import { TelemError } from '../errors/telem-error.js';
import { importOptional } from './optional-package.js';

export interface LoadOptions {
  /** An explicit policy file; when absent, `cwd` is searched. */
  readonly file?: string;
  /** Directory searched (and against which `file` resolves); defaults to process.cwd(). */
  readonly cwd?: string;
}

export interface LoadResult {
  readonly source: PolicySource | null;
  readonly diagnostics: readonly Diagnostic[];
}

function formatOf(filepath: string): SourceFormat {
  const base = path.basename(filepath);
  if (base === 'package.json') return 'package-json';
  const extension = path.extname(base);
  if (extension === '.json') return 'json';
  if (extension === '.js' || extension === '.mjs' || extension === '.cjs') return 'js';
  if (extension === '.ts' || extension === '.mts') return 'ts';
  return 'yaml';
}

function isModuleWrapper(value: unknown): value is { default: unknown } {
  if (value === null || typeof value !== 'object' || !('default' in value)) return false;
  return Object.keys(value).every((key) => key === 'default' || key === '__esModule') || Object.prototype.toString.call(value) === '[object Module]';
}

const loadTypeScript: Loader = async (filepath) => {
  // tsx compiles the module on the fly: TypeScript 7 has no JavaScript transpile API.
  const { tsImport } = await importOptional('tsx', 'a .ts policy', () => import('tsx/esm/api'));
  let value = (await tsImport(pathToFileURL(filepath).href, import.meta.url)) as unknown;
  // Outside an ESM package tsx compiles to CommonJS, which wraps the default export once more.
  while (isModuleWrapper(value)) value = value.default;
  return value;
};

const loadJavaScript: Loader = async (filepath, content) => {
  const module = (await defaultLoaders['.mjs'](filepath, content)) as unknown;
  return module;
};

function problem(code: DiagnosticCode, message: string, file?: string, hint?: string): Diagnostic {
  return { code, severity: 'error', message, path: [], ...(file ? { file } : {}), ...(hint ? { hint } : {}) };
}

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

export async function loadPolicySource(options: LoadOptions = {}): Promise<LoadResult> {
  const cwd = options.cwd ?? process.cwd();
  // Parsed texts by absolute path: cosmiconfig hands us only values, we also need positions.
  const parsed = new Map<string, ParsedText>();
  const positionedLoader: Loader = (filepath, content) => {
    const format = formatOf(filepath);
    const result = parseWithPositions({ file: filepath, text: content, format, prefix: format === 'package-json' ? ['telem'] : [] });
    parsed.set(filepath, result);
    // An unparseable file must still count as found, so the search does not silently skip it.
    if (format === 'package-json') return result.diagnostics.length > 0 ? { telem: {} } : JSON.parse(content);
    return result.value ?? {};
  };
  const explorer = cosmiconfig('telem', {
    searchPlaces: [...POLICY_SEARCH_PLACES],
    searchStrategy: 'none',
    cache: false,
    loaders: {
      '.yaml': positionedLoader,
      '.yml': positionedLoader,
      '.json': positionedLoader,
      noExt: positionedLoader,
      '.js': loadJavaScript,
      '.mjs': loadJavaScript,
      '.cjs': loadJavaScript,
      '.ts': loadTypeScript,
      '.mts': loadTypeScript,
      default: positionedLoader,
    },
  });

  let found: { filepath: string; config: unknown; isEmpty?: boolean } | null;
  const shown = options.file ?? cwd;
  try {
    if (options.file !== undefined) {
      const absolute = path.resolve(cwd, options.file);
      let content: string;
      try {
        content = await readFile(absolute, 'utf8');
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeFailure(error);
        return { source: null, diagnostics: [problem('file-unreadable', `cannot read policy file: ${reason}`, shown)] };
      }
      if (looksLikeTelemetricsConf(absolute, content)) {
        return { source: telemetricsConfSource({ file: options.file, text: content }), diagnostics: [] };
      }
      found = await explorer.load(absolute);
    } else {
      found = await explorer.search(cwd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      return { source: null, diagnostics: [problem('file-unreadable', `cannot read policy file: ${describeFailure(error)}`, shown)] };
    }
    if (error instanceof TelemError && error.code === 'package-missing') {
      return { source: null, diagnostics: [problem('loader-missing', error.message, shown, 'or write the policy as YAML or JSON, which need nothing more')] };
    }
    return { source: null, diagnostics: [problem('load-failed', `the policy module failed to load: ${describeFailure(error)}`, shown)] };
  }
  if (found === null) {
    return {
      source: null,
      diagnostics: [problem('policy-not-found', `no policy found in ${cwd}`, undefined, `create telem.policy.yaml there or name a file: looked for ${POLICY_SEARCH_PLACES.join(', ')}`)],
    };
  }

  const file = options.file ?? path.relative(cwd, found.filepath);
  const format = formatOf(found.filepath);
  const text = parsed.get(found.filepath);
  if (found.isEmpty || found.config === undefined || found.config === null) {
    if (!text || text.diagnostics.length === 0) {
      return { source: null, diagnostics: [problem('empty-policy', 'the policy file is empty', file, 'start from policies/default.policy.yaml')] };
    }
  }
  if (text) {
    return {
      source: {
        file,
        format,
        value: text.value,
        locate: text.locate,
        diagnostics: text.diagnostics.map((diagnostic) => ({ ...diagnostic, file })),
      },
      diagnostics: [],
    };
  }
  return { source: { file, format, value: found.config, locate: () => undefined, diagnostics: [] }, diagnostics: [] };
}
