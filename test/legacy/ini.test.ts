import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIni, unescapeValue } from '../../engine/legacy/ini.js';

function settings(text: string) {
  const ini = parseIni(text);
  return { ini, values: Object.fromEntries(ini.sections.flatMap((section) => section.entries).map((entry) => [entry.key, entry.value])) };
}

test('parseIni: "#" and ";" start comments only at the start of a line, so a "#" after a value is part of it', () => {
  const { ini, values } = settings('[settings]\n# a comment\n   ; an indented comment\nserver=http://127.0.0.1 # not a comment\n');
  assert.deepEqual(values, { server: 'http://127.0.0.1 # not a comment' });
  assert.deepEqual(ini.problems, []);
});

test('parseIni: keys and values are trimmed of spaces and tabs, and split at the first "="', () => {
  const { values } = settings('[settings]\n\t record_window_length = 15 \t\nserver=http://h/?a=b\n');
  assert.deepEqual(values, { record_window_length: '15', server: 'http://h/?a=b' });
});

test('parseIni: "\\s" is a space and any other backslash is dropped with a warning naming both readings', () => {
  const { ini, values } = settings('[settings]\ntidheader=X-Telemetry-TID:\\s6907\nspool_dir=C:\\temp\n');
  assert.equal(values.tidheader, 'X-Telemetry-TID: 6907');
  assert.equal(values.spool_dir, 'C:temp');
  assert.deepEqual(
    ini.problems.map((problem) => [problem.code, problem.severity, problem.line, problem.column, problem.message]),
    [['conf-escape-dropped', 'warning', 3, 11, 'a backslash in the value of spool_dir is dropped: upstream reads "C:\\\\temp" as "C:temp"']],
  );
});

test('unescapeValue: reads escapes as upstream does, including a doubled backslash before "s"', () => {
  assert.equal(unescapeValue('a\\sb'), 'a b');
  assert.equal(unescapeValue('a\\\\sb'), 'a b');
  assert.equal(unescapeValue('trailing\\'), 'trailing');
  assert.equal(unescapeValue('\\x\\y'), 'xy');
});

test('parseIni: every malformed line is an error with its line, and parsing goes on past it', () => {
  const text = ['server=http://early', '[settings', '[settings]', 'just words', '=value', 'socket_path=/run/ok'].join('\n');
  const { ini, values } = settings(text);
  assert.deepEqual(
    ini.problems.map((problem) => [problem.line, problem.code, problem.severity]),
    [
      [1, 'conf-key-outside-section', 'error'],
      [2, 'conf-section-unclosed', 'error'],
      [4, 'conf-invalid-line', 'error'],
      [5, 'conf-empty-key', 'error'],
    ],
  );
  assert.deepEqual(values, { socket_path: '/run/ok' });
});

test('parseIni: section and key names are case-sensitive and kept as written', () => {
  const { ini } = settings('[Settings]\nServer=x\n[settings]\nserver=y\n');
  assert.deepEqual(
    ini.sections.map((section) => [section.name, section.entries.map((entry) => entry.key)]),
    [
      ['Settings', ['Server']],
      ['settings', ['server']],
    ],
  );
});

test('parseIni: CRLF line ends are read without the CR and reported once', () => {
  const { ini, values } = settings('[settings]\r\nserver=http://h\r\nspool_dir=/s\r\n');
  assert.deepEqual(values, { server: 'http://h', spool_dir: '/s' });
  assert.deepEqual(
    ini.problems.map((problem) => [problem.code, problem.line]),
    [['conf-crlf', 1]],
  );
});

test('parseIni: positions point at the key and at the value', () => {
  const entry = parseIni('[settings]\n  record_window_length = 15\n').sections[0]?.entries[0];
  assert.deepEqual(entry && [entry.line, entry.keyColumn, entry.valueColumn], [2, 3, 26]);
});
