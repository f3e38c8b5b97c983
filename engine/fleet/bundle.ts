/**
 * Signed policy bundles (format telem-bundle/1), after OPA's: a manifest listing the sha256 of every
 * file, signed with Ed25519 over its canonical JSON, and the files themselves. A bundle is one
 * file, the canonical JSON of
 *
 *   { "files": { NAME: BASE64, … }, "manifest": {…}, "signatures": [{ "key": "ed25519:…", "signature": BASE64 }] }
 *
 * plus a newline. `policy.json` is the resolved policy (what the agent would run: data, never code
 * to execute); `source/NAME` is the file it was built from, for diagnostics. Because the whole
 * file must be exactly its canonical form, changing any byte of it is detected: either the
 * signature, a file's hash, the structure or the canonical form no longer holds.
 *
 * Verification order (nothing unsigned decides anything): format and structure, canonical form,
 * signatures by trusted keys, file hashes, then what the signed manifest says (the policy, expiry,
 * channel, sequence, the agent version it needs).
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { TelemError, type ErrorCode } from '../errors/telem-error.js';
import { diffPolicies } from '../plan/diff.js';
import { summarizePlan } from '../plan/format-text.js';
import { compileCheck } from '../validate/compile-check.js';
import { agentVersion, compareVersions } from './agent-version.js';
import { canonicalJson, sha256Hex } from '../hash/canonical-json.js';
import { normalizePublicKey, publicKeyBytes, publicKeyText, signBytes, verifyBytes } from './keys.js';
import { policyHash } from '../hash/policy-hash.js';
import { resolvedPolicyProblem } from './policy-shape.js';
import { type ManifestRollout, manifestRolloutSchema } from './rollout.js';

export const BUNDLE_FORMAT = 'telem-bundle/1';
/** The resolved policy inside a bundle. */
export const POLICY_FILE = 'policy.json';
/** Where the files the policy was built from go. */
export const SOURCE_DIR = 'source';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Relative names of plain segments: no "", ".", ".." or absolute paths, so writing them out stays inside a directory. */
const FILE_NAME = /^(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+)*$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isoTime = z.iso.datetime();
const sequence = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const policyIdentity = z.strictObject({ name: z.string(), revision: z.number().int().nonnegative() });

const planActionSchema = z.strictObject({
  kind: z.enum(['add', 'change', 'remove']),
  entity: z.string(),
  name: z.string(),
  impact: z.enum(['data-loss', 'privacy', 'neutral']),
  reason: z.string(),
});

export const manifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  channel: z.string().regex(NAME_PATTERN),
  sequence,
  policy: policyIdentity.extend({ sha256: z.string().regex(HEX_SHA256) }),
  created: isoTime,
  not_after: isoTime,
  min_agent_version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/),
  files: z.record(z.string().regex(FILE_NAME), z.strictObject({ sha256: z.string().regex(HEX_SHA256), size: z.number().int().nonnegative() })),
  plan: z
    .strictObject({
      previous: z.strictObject({ channel: z.string(), sequence, policy: policyIdentity }),
      summary: z.strictObject({ add: z.number().int().nonnegative(), change: z.number().int().nonnegative(), remove: z.number().int().nonnegative() }),
      actions: z.array(planActionSchema),
    })
    .nullable(),
  /** The staged rollout (docs/rollout.md), or null: every machine takes the bundle at once. */
  rollout: manifestRolloutSchema.nullable(),
});

export type BundleManifest = z.infer<typeof manifestSchema>;

const containerSchema = z.strictObject({
  files: z.record(z.string(), z.string()),
  manifest: manifestSchema,
  signatures: z.array(z.strictObject({ key: z.string(), signature: z.string() })),
});

export interface BundleSignature {
  readonly key: string;
  readonly signature: string;
}

/** A bundle read and structurally checked, not yet verified. */
export interface ParsedBundle {
  readonly manifest: BundleManifest;
  /** Each file's bytes as carried (not yet checked against the manifest). */
  readonly files: ReadonlyMap<string, Buffer>;
  readonly signatures: readonly BundleSignature[];
  /** The canonical manifest: the bytes every signature is over. */
  readonly signedBytes: Buffer;
  /** Whether the file is byte for byte its canonical form (always true unless parsed with strict: false). */
  readonly canonical: boolean;
}

export interface VerifiedBundle {
  readonly manifest: BundleManifest;
  /** The resolved policy the bundle carries (its `source` is null), frozen. */
  readonly policy: ResolvedPolicy;
  /** Every file, checked against the manifest's hashes. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** The trusted keys (canonical "ed25519:…") whose signatures verified. */
  readonly signedBy: readonly string[];
}

const fail = (code: ErrorCode, message: string, hint?: string): never => {
  throw new TelemError(code, message, { hint });
};

const short = (key: string) => (key.length > 24 ? `${key.slice(0, 20)}…` : key);

/**
 * Format, structure and canonical form. Throws bundle-format, or bundle-tampered when the bytes are
 * not the canonical form; with `{ strict: false }` (for inspecting) a non-canonical file is read
 * anyway and `canonical` says so.
 */
export function parseBundle(bytes: Uint8Array, options: { strict?: boolean } = {}): ParsedBundle {
  const strict = options.strict ?? true;
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    return fail('bundle-format', `not a telem bundle: the file is not JSON (this telem reads ${BUNDLE_FORMAT})`);
  }
  const format = (value as { manifest?: { format?: unknown } } | null)?.manifest?.format;
  if (format !== BUNDLE_FORMAT) {
    return fail(
      'bundle-format',
      format === undefined
        ? `not a telem bundle: no manifest.format (this telem reads ${BUNDLE_FORMAT})`
        : `unknown bundle format ${JSON.stringify(format)} (this telem reads ${BUNDLE_FORMAT})`,
    );
  }
  const parsed = containerSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') ?? '';
    return fail('bundle-format', `malformed ${BUNDLE_FORMAT} bundle: ${where === '' ? '' : `${where}: `}${issue?.message ?? 'invalid'}`);
  }
  const canonical = text === `${canonicalJson(value)}\n`;
  if (!canonical && strict) {
    return fail('bundle-tampered', 'the bundle was modified: its bytes are not the canonical form it is built in', 'rebuild it with telem bundle build; do not edit or reformat a bundle');
  }
  const files = new Map<string, Buffer>();
  for (const [name, base64] of Object.entries(parsed.data.files)) {
    const data = Buffer.from(base64, 'base64');
    if (strict && (!BASE64.test(base64) || data.toString('base64') !== base64)) return fail('bundle-tampered', `the bundle was modified: file ${name} is not the base64 it was written as`);
    files.set(name, data);
  }
  const { manifest, signatures } = parsed.data;
  return { manifest, files, signatures, signedBytes: Buffer.from(canonicalJson(manifest)), canonical };
}

export interface SignatureState {
  /** The key as the bundle names it. */
  readonly key: string;
  /** Whether the signature verifies with that key (false when the key is not an Ed25519 key). */
  readonly valid: boolean;
  /** Whether the key is one of the trusted keys; undefined when no trusted keys were given. */
  readonly trusted: boolean | undefined;
}

function trustedSet(trustedKeys: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const key of trustedKeys) {
    const normalized = normalizePublicKey(key);
    if (normalized === undefined) fail('key-invalid', `trusted key ${JSON.stringify(short(key))} is not an Ed25519 public key`, 'give keys as telem keygen prints them: "ed25519:<base64>"');
    else set.add(normalized);
  }
  return set;
}

export function signatureStates(bundle: ParsedBundle, trustedKeys?: readonly string[]): SignatureState[] {
  const trusted = trustedKeys === undefined ? undefined : trustedSet(trustedKeys);
  return bundle.signatures.map(({ key, signature }) => {
    const bytes = publicKeyBytes(key);
    const normalized = normalizePublicKey(key);
    return {
      key,
      valid: bytes !== undefined && verifyBytes(bundle.signedBytes, signature, bytes),
      trusted: trusted === undefined ? undefined : normalized !== undefined && trusted.has(normalized),
    };
  });
}

export interface FileState {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  /** "ok", "modified" (hash or size differ), "missing" (in the manifest, not in the bundle) or "unlisted" (in the bundle, not in the manifest). */
  readonly state: 'ok' | 'modified' | 'missing' | 'unlisted';
}

export function fileStates(bundle: ParsedBundle): FileState[] {
  const states: FileState[] = [];
  for (const [name, expected] of Object.entries(bundle.manifest.files)) {
    const data = bundle.files.get(name);
    const state = data === undefined ? 'missing' : data.length === expected.size && sha256Hex(data) === expected.sha256 ? 'ok' : 'modified';
    states.push({ name, size: expected.size, sha256: expected.sha256, state });
  }
  for (const [name, data] of bundle.files) if (!(name in bundle.manifest.files)) states.push({ name, size: data.length, sha256: sha256Hex(data), state: 'unlisted' });
  return states;
}

export interface VerifyOptions {
  /** Keys ("ed25519:<base64>") whose signatures are accepted; at least one must have signed. */
  readonly trustedKeys: readonly string[];
  /** The channel this machine follows; a bundle for another is refused. */
  readonly channel?: string | undefined;
  /** The sequence already applied; a bundle must be above it. */
  readonly appliedSequence?: number | undefined;
  readonly now?: Date;
  /** This telem's version, for min_agent_version (default: package.json's). */
  readonly agentVersion?: string;
}

/** Decodes the policy file and checks it is the policy the manifest names, and that it compiles here. */
function bundlePolicy(manifest: BundleManifest, data: Buffer): ResolvedPolicy {
  let policy: ResolvedPolicy;
  try {
    policy = JSON.parse(data.toString('utf8')) as ResolvedPolicy;
  } catch {
    return fail('bundle-format', `${POLICY_FILE} in the bundle is not JSON`);
  }
  const problem = resolvedPolicyProblem(policy);
  if (problem !== undefined) return fail('bundle-format', `${POLICY_FILE} is not a policy this telem can apply: ${problem}`);
  if (policy.metadata.name !== manifest.policy.name || policy.metadata.revision !== manifest.policy.revision) {
    return fail('bundle-format', `${POLICY_FILE} is not the policy the manifest names ("${manifest.policy.name}" revision ${manifest.policy.revision})`);
  }
  if (policyHash(policy) !== manifest.policy.sha256) return fail('bundle-format', `${POLICY_FILE} does not have the policy sha256 the manifest gives`);
  const problems = compileCheck({ ...policy, source: null });
  if (problems.length > 0) return fail('bundle-format', `the bundle's policy cannot run here: ${problems.map((problem) => problem.message).join('; ')}`);
  return deepFreeze({ ...policy, source: null });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Verifies a bundle file's bytes completely before anything in it is used; throws a TelemError
 * whose code says what failed (bundle-format, bundle-tampered, bundle-unknown-key,
 * bundle-signature, bundle-expired, bundle-channel, bundle-sequence, bundle-agent-version;
 * key-invalid for a trusted key that is not a key) and whose message is one line.
 */
export function verifyBundle(bytes: Uint8Array, options: VerifyOptions): VerifiedBundle {
  const bundle = parseBundle(bytes);
  const trusted = trustedSet(options.trustedKeys);
  if (trusted.size === 0) fail('bundle-unknown-key', 'no trusted keys to verify the bundle with', 'give --trusted-key ed25519:… or a policy with fleet.trusted_keys');
  const states = signatureStates(bundle, options.trustedKeys);
  const byTrusted = states.filter((state) => state.trusted === true);
  if (byTrusted.length === 0) {
    const keys = states.map((state) => short(state.key)).join(', ');
    fail(
      'bundle-unknown-key',
      bundle.signatures.length === 0 ? 'the bundle has no signatures' : `the bundle is signed only by keys that are not trusted (${keys})`,
      'trust the key the bundle was signed with (fleet.trusted_keys)',
    );
  }
  const bad = byTrusted.find((state) => !state.valid);
  if (bad !== undefined) fail('bundle-signature', `bad signature: the signature by ${short(bad.key)} does not match the manifest (the manifest or the signature was modified)`);
  const modified = fileStates(bundle).find((file) => file.state !== 'ok');
  if (modified !== undefined) {
    fail(
      'bundle-tampered',
      modified.state === 'modified'
        ? `file ${modified.name} was modified: its sha256 does not match the manifest`
        : modified.state === 'missing'
          ? `file ${modified.name} is listed in the manifest but missing`
          : `file ${modified.name} is in the bundle but not in the manifest`,
    );
  }
  const { manifest } = bundle;
  const policyData = bundle.files.get(POLICY_FILE);
  if (policyData === undefined) return fail('bundle-format', `the bundle has no ${POLICY_FILE}`);
  const policy = bundlePolicy(manifest, policyData);
  const now = options.now ?? new Date();
  if (Date.parse(manifest.not_after) <= now.getTime()) fail('bundle-expired', `the bundle expired at ${manifest.not_after} (built ${manifest.created})`, 'build and sign a new one');
  if (options.channel !== undefined && manifest.channel !== options.channel) fail('bundle-channel', `the bundle is for channel "${manifest.channel}", not "${options.channel}"`);
  if (options.appliedSequence !== undefined && manifest.sequence <= options.appliedSequence) {
    fail(
      'bundle-sequence',
      `the bundle's sequence ${manifest.sequence} is not above the applied sequence ${options.appliedSequence}`,
      'a bundle replaces only an older one: build it with a higher --sequence',
    );
  }
  const version = options.agentVersion ?? agentVersion();
  if (compareVersions(version, manifest.min_agent_version) < 0) fail('bundle-agent-version', `the bundle needs telem ${manifest.min_agent_version} or later; this is ${version}`);
  const signedBy = byTrusted.map((state) => normalizePublicKey(state.key) as string);
  return { manifest, policy, files: bundle.files, signedBy };
}

export interface BuildOptions {
  /** The validated, resolved policy. */
  readonly policy: ResolvedPolicy;
  /** The files it was built from (name without directory → bytes), carried for diagnostics. */
  readonly sources: ReadonlyMap<string, Uint8Array>;
  /** Ed25519 private keys; each signs the manifest. */
  readonly keys: readonly KeyObject[];
  readonly channel: string;
  readonly sequence: number;
  /** How long the bundle stays valid, in ms. */
  readonly expiresMs: number;
  readonly now?: Date;
  /** The bundle this one replaces: the manifest gets the plan against its policy. */
  readonly previous?: { readonly manifest: BundleManifest; readonly policy: ResolvedPolicy };
  /** The resolved rollout (engine/fleet/rollout.ts resolveRollout). */
  readonly rollout?: ManifestRollout;
  readonly agentVersion?: string;
}

/** The bytes of a new bundle file. Throws bundle-build (or key-invalid) for options that cannot make one. */
export function buildBundle(options: BuildOptions): Buffer {
  if (options.keys.length === 0) throw new TelemError('key-invalid', 'a bundle needs at least one signing key');
  if (!NAME_PATTERN.test(options.channel)) throw new TelemError('bundle-build', `channel ${JSON.stringify(options.channel)} must use letters, digits, ".", "_" and "-"`);
  if (!sequence.safeParse(options.sequence).success) throw new TelemError('bundle-build', `sequence ${options.sequence} must be a whole number from 0`);
  if (options.previous !== undefined && options.sequence <= options.previous.manifest.sequence) {
    throw new TelemError('bundle-build', `sequence ${options.sequence} is not above the previous bundle's ${options.previous.manifest.sequence}`);
  }
  const policy = { ...options.policy, source: null };
  const files = new Map<string, Uint8Array>([[POLICY_FILE, Buffer.from(canonicalJson(policy))]]);
  for (const [name, data] of options.sources) {
    const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.{1,2}$/, '_');
    files.set(`${SOURCE_DIR}/${safe}`, data);
  }
  const now = options.now ?? new Date();
  const actions = options.previous === undefined ? undefined : diffPolicies(options.previous.policy, policy);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    channel: options.channel,
    sequence: options.sequence,
    policy: { name: policy.metadata.name, revision: policy.metadata.revision, sha256: policyHash(policy) },
    created: now.toISOString(),
    not_after: new Date(now.getTime() + options.expiresMs).toISOString(),
    min_agent_version: options.agentVersion ?? agentVersion(),
    files: Object.fromEntries([...files].map(([name, data]) => [name, { sha256: sha256Hex(data), size: data.length }])),
    plan:
      options.previous === undefined || actions === undefined
        ? null
        : {
            previous: {
              channel: options.previous.manifest.channel,
              sequence: options.previous.manifest.sequence,
              policy: { name: options.previous.manifest.policy.name, revision: options.previous.manifest.policy.revision },
            },
            summary: summarizePlan(actions),
            actions: actions.map(({ kind, entity, name, impact, reason }) => ({ kind, entity, name, impact, reason })),
          },
    rollout: options.rollout ?? null,
  };
  const checked = manifestSchema.safeParse(manifest);
  if (!checked.success) throw new TelemError('bundle-build', `cannot build the manifest: ${checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const signedBytes = Buffer.from(canonicalJson(manifest));
  const signatures = options.keys.map((key) => ({ key: publicKeyText(key), signature: signBytes(signedBytes, key) }));
  const container = { files: Object.fromEntries([...files].map(([name, data]) => [name, Buffer.from(data).toString('base64')])), manifest, signatures };
  return Buffer.from(`${canonicalJson(container)}\n`);
}

/** The policy a parsed (unverified) bundle carries, for planning against a previous bundle at build time. */
export function unverifiedPolicy(bundle: ParsedBundle): ResolvedPolicy {
  const data = bundle.files.get(POLICY_FILE);
  if (data === undefined) return fail('bundle-format', `the bundle has no ${POLICY_FILE}`);
  return bundlePolicy(bundle.manifest, data);
}
