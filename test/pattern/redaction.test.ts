import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backtrackingRisk, linearObstacle } from '../../engine/pattern/redaction-risks.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

function redactionDiagnostics(...patterns: string[]) {
  const { diagnostics, policy } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'redaction' },
    collection: { redact: patterns.map((pattern) => ({ pattern })) },
    destinations: { central: { type: 'local' } },
    routes: [{ name: 'all', to: ['central'] }],
  });
  return { policy, diagnostics: diagnostics.map(({ code, severity, message, path, hint }) => ({ code, severity, message, path, hint })) };
}

const UNBOUNDED_HINT =
  'telem finishes a match that backtracks too much on a linear-time engine, which cannot run backreferences (\\1, \\k<name>), ' +
  'lookahead or lookbehind ((?=…), (?!…), (?<=…), (?<!…)) or repetitions counted past 16 copies; ' +
  'remove the nested repetition, or the construct the linear engine cannot run';

test('redaction check: a pattern that can backtrack catastrophically and that the linear engine cannot take over is an error naming both', () => {
  const { policy, diagnostics } = redactionDiagnostics('((\\w+)+)=\\1', '(a{1,20})+$', '(x+)+(?=:)');
  assert.equal(policy, null);
  assert.deepEqual(diagnostics, [
    {
      code: 'redaction-not-linear',
      severity: 'error',
      message: "redaction pattern ((\\w+)+)=\\1 nests a repetition inside a repetition, in (\\w+)+, and it uses the backreference \\1: one payload could pin the agent's CPU",
      path: ['collection', 'redact', 0, 'pattern'],
      hint: UNBOUNDED_HINT,
    },
    {
      code: 'redaction-not-linear',
      severity: 'error',
      message: "redaction pattern (a{1,20})+$ nests a repetition inside a repetition, in (a{1,20})+, and the repetition a{1,20} counts past 16: one payload could pin the agent's CPU",
      path: ['collection', 'redact', 1, 'pattern'],
      hint: UNBOUNDED_HINT,
    },
    {
      code: 'redaction-not-linear',
      severity: 'error',
      message: "redaction pattern (x+)+(?=:) nests a repetition inside a repetition, in (x+)+, and it uses the lookaround (?=:): one payload could pin the agent's CPU",
      path: ['collection', 'redact', 2, 'pattern'],
      hint: UNBOUNDED_HINT,
    },
  ]);
});

test('redaction check: backreferences, lookaround and long counted repetitions are fine where nothing can backtrack catastrophically', () => {
  const { policy, diagnostics } = redactionDiagnostics('(\\w+)=\\1', 'token(?=:)', '[0-9a-f]{32}');
  assert.ok(policy);
  assert.deepEqual(diagnostics, []);
});

test('redaction check: nested repetitions and overlapping repeated alternatives the linear engine can take over are a warning', () => {
  const { policy, diagnostics } = redactionDiagnostics('(a+)+$', '(a|aa)+');
  assert.ok(policy, 'warnings only: the policy runs');
  assert.deepEqual(diagnostics, [
    {
      code: 'redaction-backtracking',
      severity: 'warning',
      message:
        'redaction pattern (a+)+$ nests a repetition inside a repetition, in (a+)+: it would backtrack catastrophically in a backtracking regex engine; telem finishes such matches on a linear-time engine, so it is safe here',
      path: ['collection', 'redact', 0, 'pattern'],
      hint: 'for example write (a+)+ as a+ and (\\w+\\s?)* as [\\w\\s]*, so the pattern stays safe in any other tool that uses it',
    },
    {
      code: 'redaction-backtracking',
      severity: 'warning',
      message:
        'redaction pattern (a|aa)+ repeats alternatives that can match the same text, in (a|aa)+: it would backtrack catastrophically in a backtracking regex engine; telem finishes such matches on a linear-time engine, so it is safe here',
      path: ['collection', 'redact', 1, 'pattern'],
      hint: 'make the alternatives exclusive: for example write (a|aa)+ as a+, so the pattern stays safe in any other tool that uses it',
    },
  ]);
});

test('redaction check: everyday patterns (an IPv4 address, an e-mail address, key=value) pass without a word', () => {
  const everyday = ['\\b\\d{1,3}(\\.\\d{1,3}){3}\\b', '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', '(password|token)=\\S+', '(\\d+\\.)+\\d+', '(?:[^,]+,)*'];
  assert.deepEqual(redactionDiagnostics(...everyday).diagnostics, []);
});

test('backtracking risk: a repetition whose body can split the same text in several ways', () => {
  for (const pattern of ['(a+)+', '(a*)*', '(\\w+\\s?)*', '(\\s*,\\s*)+', '(a+){10}', '(?:x+x+)+y', '((a+))+', '(a{1,3})+']) {
    assert.equal(backtrackingRisk(pattern)?.kind, 'nested', pattern);
  }
  for (const pattern of ['(a|aa)+', '(a|b|ab)*', '(.|a)*']) assert.equal(backtrackingRisk(pattern)?.kind, 'overlap', pattern);
  assert.equal(backtrackingRisk('x(\\w+\\s?)*y')?.source, '(\\w+\\s?)*');
});

test('backtracking risk: bounded, delimited or exclusive repetitions are not flagged', () => {
  for (const pattern of ['a+', '(\\.\\d{1,3}){3}', '(\\d+\\.)+\\d+', '(foo|bar)*', '(.|\\n)*', '(a{1,3}){3}', '[^,]+(,[^,]+)*', '(ab)+']) {
    assert.equal(backtrackingRisk(pattern), undefined, pattern);
  }
});

test('linear obstacle: names the backreference, the lookaround or the repetition count the linear engine refuses', () => {
  assert.equal(linearObstacle('(?<word>\\w+) \\k<word>'), 'it uses the backreference \\k<word>');
  assert.equal(linearObstacle('(?<!x)y'), 'it uses the lookaround (?<!x)');
  assert.equal(linearObstacle('a{16,}'), 'the repetition a{16,} makes 17 copies of its body, more than 16');
  assert.equal(linearObstacle('(?:a{16}){2}'), 'the repetition a{16} inside other repetitions makes 32 copies of its body, more than 16');
  assert.equal(linearObstacle('((((a+)+)+)+)+'), 'the repetition a+ inside other repetitions makes 32 copies of its body, more than 16');
  assert.equal(linearObstacle('\\d{1,3}(\\.\\d{1,3}){3}'), undefined);
  assert.equal(linearObstacle('\\8'), undefined, 'an escape that is no backreference (there is no group 8)');
});
