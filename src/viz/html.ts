// The self-contained HTML page of every state chart: inline SVG (rendered by Graphviz/WASM), a
// legend, one collapsible section per machine, the models as JSON and a small inline script API a
// run-trace overlay uses to highlight states and list per-actor timelines. No network access.
import type { ChartSource } from './charts.js';
import { type ChartModel, extractChart } from './extract.js';
import { EDGE_STYLES, toDot } from './formats.js';
import { inlineSvg, renderSvg } from './render.js';

/** The page's header comment: the contract the trace overlay programs against. */
const API_DOC = `interimap state charts: generated from machines/*.ts by src/viz (never edit by hand).

Every state's SVG group carries data-machine="<machine id>" and data-state="<state path>"
(e.g. data-state="connection.authenticated.ready"; compound states are the cluster groups; the
machine itself, data-state="connection", is the "any state" node drawn when it has transitions);
every transition edge carries data-machine and data-transition="<index in the model's transitions>".
The models (src/viz/extract.ts ChartModel) are in <script id="chart-models" type="application/json">.

Inline script API, on window.interimapCharts (highlight is also window.highlight):
  highlight(machineId, statePath, info?) -> boolean
      Marks a state. statePath is relative ("authenticated.ready") or full ("connection.authenticated.ready").
      info: { kind?: "current" | "visited" | "failed" (default "current"), note?: string }; the note
      becomes the state's tooltip and the section's status line. Returns false for an unknown state.
  highlightTransition(machineId, index, info?) -> boolean   Marks a transition edge the same way.
  clear(machineId?)   Removes every mark (of one machine, or of all).
  addTimeline(actorId, machineId, entries) -> HTMLElement
      Appends one actor's row to the "Actor timelines" section: entries are
      [{ at: milliseconds since the run started, state: statePath, event?: string }]; clicking an
      entry highlights its state. Returns the row.
  models   The chart models by machine id.`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
details { border: 1px solid #d5dae5; border-radius: 6px; margin: 1rem 0; }
summary { cursor: pointer; padding: .5rem .8rem; font-weight: 600; background: #f4f6fb; }
.chart { overflow: auto; padding: .5rem; }
.chart svg { max-width: 100%; height: auto; }
.chart.full svg { max-width: none; }
.status { padding: 0 .8rem .5rem; color: #44506a; min-height: 1.2em; }
.legend { display: flex; flex-wrap: wrap; gap: .4rem 1.5rem; font-size: 12px; }
.legend span { white-space: nowrap; }
/* Graphviz wraps a shape with a tooltip in <g><a>, hence descendant selectors; only states are filled. */
g.hl path, g.hl polygon, g.hl ellipse { stroke-width: 3px; }
g.hl-visited path, g.hl-visited polygon, g.hl-visited ellipse { stroke: #2f9e44; }
g.hl-current path, g.hl-current polygon, g.hl-current ellipse { stroke: #e8590c; }
g.hl-failed path, g.hl-failed polygon, g.hl-failed ellipse { stroke: #c92a2a; }
g.edge.hl-visited text { fill: #2f9e44; font-weight: bold; }
g.node.hl-visited :is(path, polygon, ellipse), g.cluster.hl-visited > path { fill: #ebfbee; }
g.node.hl-current :is(path, polygon, ellipse), g.cluster.hl-current > path { fill: #fff1e6; }
g.node.hl-failed :is(path, polygon, ellipse), g.cluster.hl-failed > path { fill: #fff0f0; }
#timelines ol { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem; padding: 0; margin: .3rem 0; }
#timelines li { border: 1px solid #d5dae5; border-radius: 4px; padding: 0 .4rem; cursor: pointer; font-size: 12px; }
`;

/** The overlay API documented in API_DOC; plain ES2017, no dependencies. */
const SCRIPT = `
(function () {
  var models = JSON.parse(document.getElementById('chart-models').textContent);
  function section(machineId) { return document.querySelector('details[data-machine="' + machineId + '"]'); }
  function fullPath(machineId, path) {
    return path === machineId || path.indexOf(machineId + '.') === 0 ? path : machineId + '.' + path;
  }
  function mark(machineId, group, info) {
    if (!group) return false;
    var kind = (info && info.kind) || 'current';
    group.classList.add('hl', 'hl-' + kind);
    var s = section(machineId);
    s.open = true;
    if (info && info.note) {
      var title = group.querySelector('title');
      if (title) title.textContent = info.note;
      s.querySelector('.status').textContent = info.note;
    }
    return true;
  }
  function highlight(machineId, statePath, info) {
    var s = section(machineId);
    if (!s) return false;
    var path = fullPath(machineId, statePath);
    return mark(machineId, s.querySelector('[data-state="' + CSS.escape(path) + '"]'), info);
  }
  function highlightTransition(machineId, index, info) {
    var s = section(machineId);
    if (!s) return false;
    return mark(machineId, s.querySelector('[data-transition="' + Number(index) + '"]'), info);
  }
  function clear(machineId) {
    var scope = machineId ? section(machineId) : document;
    if (!scope) return;
    scope.querySelectorAll('.hl').forEach(function (g) {
      g.classList.remove('hl', 'hl-current', 'hl-visited', 'hl-failed');
    });
    scope.querySelectorAll('.status').forEach(function (p) { p.textContent = ''; });
  }
  function addTimeline(actorId, machineId, entries) {
    var row = document.createElement('div');
    row.className = 'timeline';
    row.dataset.actor = actorId;
    row.dataset.machine = machineId;
    var name = document.createElement('strong');
    name.textContent = actorId + ' (' + machineId + ')';
    var list = document.createElement('ol');
    entries.forEach(function (e) {
      var item = document.createElement('li');
      item.textContent = (e.at / 1000).toFixed(3) + 's ' + e.state + (e.event ? ' \\u2190 ' + e.event : '');
      item.addEventListener('click', function () {
        clear(machineId);
        highlight(machineId, e.state, { note: actorId + ': ' + item.textContent });
      });
      list.appendChild(item);
    });
    row.append(name, list);
    document.getElementById('timeline-rows').appendChild(row);
    document.getElementById('timelines').hidden = false;
    return row;
  }
  document.querySelectorAll('.chart').forEach(function (c) {
    c.addEventListener('dblclick', function () { c.classList.toggle('full'); });
  });
  window.interimapCharts = { highlight: highlight, highlightTransition: highlightTransition, clear: clear,
    addTimeline: addTimeline, models: models };
  window.highlight = highlight;
})();
`;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON inside <script>: `<` escaped so no string can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function legend(): string {
  const edges = Object.values(EDGE_STYLES).map((look) => {
    const dash =
      look.style === 'dashed'
        ? ' stroke-dasharray="6 3"'
        : look.style === 'dotted'
          ? ' stroke-dasharray="1 3"'
          : '';
    return `<span><svg width="36" height="10" aria-hidden="true"><line x1="0" y1="5" x2="36" y2="5" stroke="${look.color}" stroke-width="1.5"${dash}/></svg> ${escapeHtml(look.meaning)}</span>`;
  });
  const shapes = [
    'rounded box: a state (bold key, its label, <span style="color:#1f5fa8">invoke: actor</span> it runs)',
    'frame: a compound state',
    'double circle: a final state',
    'dot: the initial state',
    'dashed "any state": transitions of the machine itself, taken in every state',
    'edge label: event [guard]; hover an edge for its actions',
  ];
  return `<div class="legend">${[...shapes.map((s) => `<span>${s}</span>`), ...edges].join('')}</div>`;
}

export interface RenderedChart {
  source: ChartSource;
  model: ChartModel;
  /** The annotated SVG document. */
  svg: string;
}

export async function renderCharts(sources: readonly ChartSource[]): Promise<RenderedChart[]> {
  return Promise.all(
    sources.map(async (source) => {
      const model = extractChart(source.machine);
      return { source, model, svg: await renderSvg(toDot(model)) };
    }),
  );
}

/**
 * The page. `overlay` is HTML placed above the charts (the run trace's section, src/viz/trace-overlay.ts);
 * a script in it runs before the API exists, so it waits for DOMContentLoaded.
 */
export function htmlPage(charts: readonly RenderedChart[], overlay = ''): string {
  const sections = charts.map(
    ({
      source,
      model,
      svg,
    }) => `<details open id="chart-${escapeHtml(model.id)}" data-machine="${escapeHtml(model.id)}">
<summary>${escapeHtml(source.title)} <small>(${model.states.length - 1} states, ${model.transitions.length} transitions; double-click the chart for full size)</small></summary>
<div class="chart">${inlineSvg(svg)}</div>
<p class="status"></p>
</details>`,
  );
  const models = Object.fromEntries(charts.map((c) => [c.model.id, c.model]));
  return `<!doctype html>
<!--
${API_DOC}
-->
<html lang="en">
<head>
<meta charset="utf-8">
<title>interimap state charts</title>
<style>${STYLE}</style>
</head>
<body>
<h1>interimap state charts</h1>
<p>Generated from the XState definitions in <code>machines/</code>; what runs is what is drawn.</p>
${legend()}
${overlay}${sections.join('\n')}
<section id="timelines" hidden>
<h2>Actor timelines</h2>
<div id="timeline-rows"></div>
</section>
<script id="chart-models" type="application/json">${scriptJson(models)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
