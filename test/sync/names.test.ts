import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { argumentsToDb, listPatterns, MailboxNameError, toDbName, toWireName } from '../../src/sync/names.js';

describe('toDbName', () => {
  const cases: Array<[string, string, string | null, string | null]> = [
    ['a/b/c', '', '/', 'a\0b\0c'],
    ['a.b', '', '.', 'a\0b'],
    ['a.b', '', '/', 'a.b'],
    ['a/b', '', null, 'a/b'],
    ['inbox', '', '/', 'INBOX'],
    ['InBoX', '', '.', 'INBOX'],
    ['INBOX/sub', '', '/', 'INBOX\0sub'],
    ['perso/a/b', 'perso/', '/', 'a\0b'],
    ['perso/inbox', 'perso/', '/', 'INBOX'],
    ['other/a', 'perso/', '/', null],
    ['perso/', 'perso/', '/', null],
    ['INBOX', 'perso/', '/', null],
  ];
  for (const [wire, reference, delimiter, db] of cases) {
    test(`${JSON.stringify(wire)} ref ${JSON.stringify(reference)} delim ${delimiter}`, () => {
      assert.equal(toDbName(wire, { reference, delimiter }), db);
    });
  }
});

describe('toWireName', () => {
  test('replaces \\0 by the delimiter and prepends the reference', () => {
    assert.equal(toWireName('a\0b', { reference: 'perso.', delimiter: '.' }, 'local'), 'perso.a.b');
    assert.equal(toWireName('INBOX', { reference: '', delimiter: '.' }, 'local'), 'INBOX');
  });
  test('round-trips with toDbName', () => {
    const ns = { reference: 'x/', delimiter: '/' };
    assert.equal(toDbName(toWireName('a\0b c\0d', ns, 'local'), ns), 'a\0b c\0d');
  });
  test("a name holding the side's delimiter as a plain character cannot be mirrored", () => {
    assert.throws(
      () => toWireName('a.b', { reference: '', delimiter: '.' }, 'local'),
      (e: unknown) =>
        e instanceof MailboxNameError && /contains "\.", the local hierarchy delimiter/.test(e.message),
    );
  });
  test('a hierarchical name cannot go to a flat namespace', () => {
    assert.throws(
      () => toWireName('a\0b', { reference: '', delimiter: null }, 'remote'),
      /remote namespace is flat/,
    );
  });
});

describe('MAILBOX arguments and patterns', () => {
  test('arguments use the local delimiter; INBOX any case', () => {
    assert.deepEqual(argumentsToDb(['a.b', 'inbox', 'c'], '.'), ['a\0b', 'INBOX', 'c']);
  });
  test('\\0 in a pattern becomes the side delimiter', () => {
    assert.deepEqual(listPatterns(['foo\0bar', '*'], { reference: '', delimiter: '/' }, 'remote'), [
      'foo/bar',
      '*',
    ]);
    assert.throws(() => listPatterns(['a\0b'], { reference: '', delimiter: null }, 'local'), /flat/);
  });
});
