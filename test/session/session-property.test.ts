import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CommandFailed } from '../../src/session/errors.js';
import { fakeArgs as b, newSession, preauth, settle, tagged } from './fake-codec.js';

// Whatever order the server completes pipelined commands in, and whatever back-pressure the writer
// applies, each command settles exactly once, with its own tag and status, and nothing is left pending.
test('pipelined commands settle with their own completion under any completion order and back-pressure', async () => {
  const command = fc.record({
    name: fc.constantFrom('NOOP', 'CAPABILITY', 'STATUS', 'LIST'),
    ok: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(
      fc
        .array(command, { minLength: 1, maxLength: 40 })
        .chain((cmds) =>
          fc.tuple(
            fc.constant(cmds),
            fc.shuffledSubarray([...cmds.keys()], { minLength: cmds.length }),
            fc.boolean(),
          ),
        ),
      async ([cmds, order, blocked]) => {
        const { session, writer } = newSession();
        session.receive(preauth());
        writer.blocked = blocked;
        const outcomes = cmds.map((c) =>
          session.command(c.name, [b.atom('x')]).then(
            (r) => r.tag,
            (e: unknown) => (e instanceof CommandFailed ? `failed ${e.result.tag}` : `other ${e}`),
          ),
        );
        while (writer.written.length < cmds.length) {
          writer.release();
          writer.blocked = blocked;
          await settle();
        }
        for (const i of order) session.receive(tagged(`a${i + 1}`, cmds[i].ok ? 'OK' : 'NO'));
        const results = await Promise.all(outcomes);
        assert.deepEqual(
          results,
          cmds.map((c, i) => (c.ok ? `a${i + 1}` : `failed a${i + 1}`)),
        );
        assert.equal(session.inFlight, 0);
      },
    ),
    { numRuns: 200 },
  );
});
