import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHARTS } from '../../src/viz/charts.js';
import { extractChart } from '../../src/viz/extract.js';
import { toDot, toJson, toMermaid, transitionLabel } from '../../src/viz/formats.js';
import { renderSvg } from '../../src/viz/render.js';

describe('text forms of the charts', () => {
  for (const { name, machine } of CHARTS) {
    const model = extractChart(machine);
    const states = model.states.slice(1);
    const edges = model.transitions.reduce((n, t) => n + Math.max(1, t.targets.length), 0);

    test(`${name}: json is the model, stable and parseable`, () => {
      const json = toJson(model);
      assert.deepEqual(JSON.parse(json), model);
      assert.equal(toJson(extractChart(machine)), json);
    });

    test(`${name}: mermaid declares every state and draws every transition`, () => {
      const mermaid = toMermaid(model);
      assert.match(mermaid, /^---\ntitle: .+\n---\nstateDiagram-v2\n/);
      for (const state of states) {
        const id = state.id.slice(model.id.length + 1).replace(/\./g, '_');
        const declared = state.type === 'compound' ? `state ${id} {` : `state "${state.key}" as ${id}`;
        assert.ok(mermaid.includes(declared), `${state.id} not declared`);
        if (state.label !== undefined && state.type !== 'compound') {
          // Mermaid reads `;` as a statement end.
          const label = state.label.replace(/;/g, ',');
          assert.ok(mermaid.includes(`${id} : ${label}`), `${state.id}: label missing`);
        }
      }
      assert.equal(mermaid.match(/^\s+\S+ --> (?!\[\*\])\S+ : /gm)?.length, edges);
      const opened = mermaid.match(/{$/gm)?.length ?? 0;
      assert.equal(mermaid.match(/^\s*}$/gm)?.length ?? 0, opened);
    });

    test(`${name}: graphviz accepts the dot; the SVG tags every state and transition`, async () => {
      const dot = toDot(model);
      for (const state of states) assert.ok(dot.includes(`id="state:${state.id}"`), `${state.id} missing`);
      for (const t of model.transitions) {
        assert.ok(
          dot.includes(`label="${transitionLabel(t).replace(/"/g, '\\"')}"`),
          `no edge labelled ${t.event}`,
        );
      }
      const svg = await renderSvg(dot);
      for (const state of states) {
        assert.ok(svg.includes(`data-state="${state.id}"`), `SVG lacks data-state for ${state.id}`);
      }
      const tagged = new Set([...svg.matchAll(/data-transition="(\d+)"/g)].map((m) => Number(m[1])));
      assert.equal(tagged.size, model.transitions.length);
      const finals = states.filter((s) => s.final).map((s) => s.id);
      for (const id of finals) assert.match(dot, new RegExp(`"${id}" \\[[^\\n]*shape=doublecircle`));
      for (const s of states.filter((x) => x.type === 'compound')) assert.ok(dot.includes(`cluster_${s.id}`));
    });
  }

  test('a DOT error becomes one line naming the chart', async () => {
    await assert.rejects(renderSvg('digraph "broken" { a -> }'), /^Error: graphviz rejected chart broken: /);
  });
});
