import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { and, createMachine, fromPromise, not, or } from 'xstate';
import { toDirectedGraph } from 'xstate/graph';
import { CHARTS } from '../../src/viz/charts.js';
import { type ChartModel, extractChart } from '../../src/viz/extract.js';

/** What a test expects of one transition, read from the raw config rather than from StateNodes. */
interface Expected {
  source: string;
  targets: string[];
  event: string;
}

type Config = Record<string, unknown>;

function toList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Walks `machine.config` (what the author wrote): every state path and every transition. */
function walkConfig(machineId: string, root: Config): { states: string[]; transitions: Expected[] } {
  const states: string[] = [];
  const transitions: Expected[] = [];
  // Targets as the author wrote them: `#id` (ids here are paths), `.child`, or a sibling key.
  const resolve = (path: string, target: string): string => {
    if (target.startsWith('#')) return target.slice(1);
    if (target.startsWith('.')) return `${path}${target}`;
    return `${path.slice(0, path.lastIndexOf('.'))}.${target}`;
  };
  const add = (path: string, event: string, value: unknown) => {
    for (const t of toList(value)) {
      const target = typeof t === 'string' ? t : (t as { target?: string }).target;
      transitions.push({ source: path, event, targets: target === undefined ? [] : [resolve(path, target)] });
    }
  };
  const visit = (path: string, config: Config) => {
    states.push(path);
    for (const [event, value] of Object.entries((config.on ?? {}) as Config)) {
      add(path, event.replace(/^xstate\.(done|error)\.actor\./, '$1: '), value);
    }
    for (const invoke of toList(config.invoke) as Config[]) {
      add(path, `done: ${invoke.src}`, invoke.onDone);
      add(path, `error: ${invoke.src}`, invoke.onError);
    }
    for (const [delay, value] of Object.entries((config.after ?? {}) as Config))
      add(path, `after ${delay}`, value);
    add(path, 'always', config.always);
    for (const [key, child] of Object.entries((config.states ?? {}) as Config)) {
      visit(`${path}.${key}`, child as Config);
    }
  };
  visit(machineId, root);
  return { states, transitions };
}

const key = (t: Expected) => JSON.stringify([t.source, t.event, t.targets]);

describe('extractChart on the interimap charts', () => {
  for (const { name, machine } of CHARTS) {
    const model = extractChart(machine);
    const expected = walkConfig(machine.id, machine.config as Config);

    test(`${name}: every state of the definition, in document order`, () => {
      assert.deepEqual(
        model.states.map((s) => s.id),
        expected.states,
      );
      assert.ok(model.states.length > 8);
    });

    test(`${name}: every transition with its event and targets`, () => {
      assert.deepEqual(model.transitions.map(key).sort(), expected.transitions.map(key).sort());
    });

    test(`${name}: agrees with xstate/graph on the evented transitions`, () => {
      const edges: string[] = [];
      const collect = (graph: ReturnType<typeof toDirectedGraph>): void => {
        for (const edge of graph.edges) edges.push(`${edge.source.id}>${edge.transition.eventType}`);
        graph.children.forEach(collect);
      };
      collect(toDirectedGraph(machine));
      // xstate/graph draws a targetless transition as a loop and leaves `always` out.
      const ours = model.transitions
        .filter((t) => t.kind !== 'always')
        .flatMap((t) => (t.targets.length > 0 ? t.targets : [t.source]).map(() => t))
        .map((t) => `${t.source}>${t.eventType}`);
      assert.deepEqual(ours.sort(), edges.sort());
    });

    test(`${name}: labels, invokes, initial and final states`, () => {
      for (const state of model.states.slice(1)) {
        assert.equal(typeof state.label, 'string', `${state.id} has no label`);
      }
      const initialOf = new Map(model.states.map((s) => [s.id, s.initial]));
      assert.equal(initialOf.get(machine.id), `${machine.id}.${machine.config.initial}`);
      assert.ok(model.states.some((s) => s.final === true && s.type === 'final'));
      assert.ok(model.states.some((s) => s.invokes.length > 0));
    });
  }

  test('connection: guards, actions and actor events read as the author wrote them', () => {
    const model = extractChart(CHARTS.find((c) => c.name === 'connection')!.machine);
    const from = (source: string) => model.transitions.filter((t) => t.source === `connection.${source}`);
    assert.deepEqual(
      from('notAuthenticated.checkingCapabilities').map((t) => t.guard),
      [
        'capabilitiesUnknown',
        'needsStartTls && !hasStartTls',
        'needsStartTls',
        '!hasUsableMechanism',
        '!hasCredentials',
        undefined,
      ],
    );
    const selecting = from('selecting');
    assert.deepEqual(
      selecting.map((t) => [t.event, t.kind]),
      [
        ['done: select', 'done'],
        ['error: select', 'error'],
        ['error: select', 'error'],
        ['after commandTimeout', 'after'],
      ],
    );
    assert.equal(selecting[0]!.eventType, 'xstate.done.actor.0.connection.selecting');
    assert.deepEqual(selecting[0]!.actions, ['assign', 'emit']);
    assert.deepEqual(model.states.find((s) => s.id === 'connection.selecting')!.invokes, [
      { src: 'select', id: '0.connection.selecting' },
    ]);
    const refresh = from('idle').find((t) => t.kind === 'after')!;
    assert.deepEqual(
      [refresh.event, refresh.reenter, refresh.targets],
      ['after idleRefresh', true, ['connection.idle']],
    );
    // Targetless: BYE during LOGOUT is expected and leaves the state alone.
    assert.deepEqual(from('loggingOut').find((t) => t.event === 'imap.bye')!.targets, []);
  });
});

describe('extractChart on other shapes of chart', () => {
  const machine = createMachine({
    id: 'shapes',
    initial: 'waiting',
    states: {
      waiting: {
        tags: ['busy'],
        description: 'waits',
        after: { 500: 'both' },
        on: { GO: { target: 'both', guard: or(['ready', not(and(['a', 'b']))]) } },
      },
      both: {
        type: 'parallel',
        invoke: { id: 'worker', src: fromPromise(async () => 1), onDone: '#shapes.end' },
        states: {
          left: { initial: 'l1', states: { l1: { on: { NEXT: 'l2' } }, l2: { type: 'final' } } },
          right: { initial: 'r1', states: { r1: {} } },
        },
      },
      end: { type: 'final' },
    },
  });
  const model: ChartModel = extractChart(machine);
  const state = (id: string) => model.states.find((s) => s.id === id)!;

  test('parallel regions, finals, tags, descriptions and inline actor logic', () => {
    assert.equal(state('shapes.both').type, 'parallel');
    assert.equal(state('shapes.both').initial, undefined);
    assert.equal(state('shapes.both.left').initial, 'shapes.both.left.l1');
    assert.equal(state('shapes.both.left.l2').final, true);
    assert.deepEqual(state('shapes.waiting').tags, ['busy']);
    assert.equal(state('shapes.waiting').description, 'waits');
    assert.deepEqual(state('shapes.both').invokes, [{ src: 'xstate.invoke.0.shapes.both', id: 'worker' }]);
    assert.equal(state('shapes').parent, null);
  });

  test('numeric delays and higher-order guards', () => {
    const waiting = model.transitions.filter((t) => t.source === 'shapes.waiting');
    assert.deepEqual(
      waiting.map((t) => [t.event, t.guard]),
      [
        ['GO', 'ready || !(a && b)'],
        ['after 500ms', undefined],
      ],
    );
    const done = model.transitions.find((t) => t.source === 'shapes.both')!;
    assert.deepEqual([done.event, done.targets], ['done: xstate.invoke.0.shapes.both', ['shapes.end']]);
  });
});
