// The run trace drawn over the chart page (`--statechart --trace-in=FILE`): a section with the run's
// summary, every failure in one sentence, per-mailbox timings and an actor picker, plus a script that
// marks each actor's visited states and taken transitions through the page API (html.ts).
import type { SideCounts } from '../../machines/contracts.js';
import { CHARTS } from './charts.js';
import { extractChart } from './extract.js';
import { escapeHtml, scriptJson } from './html.js';
import { type ActorRun, failureText, type RunTrace, runLabel } from './trace-read.js';

/** What the page script gets per actor run. */
interface RunData {
  key: string;
  label: string;
  /** The machine id the page knows the chart by (`mailboxSync`). */
  machine: string;
  entries: ActorRun['entries'];
  states: string[];
  transitions: number[];
  outcome: ActorRun['outcome'];
  /** The final state (or last one), and the state it stopped in. */
  last: string;
  stoppedIn: string;
  failure?: string;
}

const MACHINE_IDS: ReadonlyMap<string, string> = new Map(CHARTS.map((c) => [c.name, c.machine.id]));

/** Per chart name: invoke id → the actor logic's name, so `xstate.done.actor.0.connection.connecting` reads `done: openTransport`. */
const INVOKED: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  CHARTS.map((c) => [
    c.name,
    new Map(extractChart(c.machine).states.flatMap((s) => s.invokes.map((i) => [i.id, i.src] as const))),
  ]),
);

/** An event type as the charts draw it: `done: appendNew`, `error: select`, `after commandTimeout`. */
export function eventLabel(machine: string, type: string): string {
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (actor !== null) return `${actor[1]}: ${INVOKED.get(machine)?.get(actor[2]!) ?? actor[2]}`;
  const delay = /^xstate\.after\.([^.]+)\./.exec(type);
  if (delay !== null) return `after ${delay[1]}`;
  return type === 'xstate.init' ? 'start' : type;
}

const STYLE = `
#run-trace { border: 1px solid #d5dae5; border-radius: 6px; margin: 1rem 0; padding: .2rem .8rem .8rem; }
#run-trace h2 { font-size: 1.1rem; }
#run-trace li.failed { color: #c92a2a; }
#run-trace table { border-collapse: collapse; font-size: 13px; margin-top: .6rem; }
#run-trace th, #run-trace td { border-bottom: 1px solid #e3e7ef; padding: .2rem .6rem; text-align: left; }
#run-trace tr.failed td { color: #c92a2a; }
`;

/** Marks the trace on the charts once the page API exists; the picker narrows it to one actor. */
const SCRIPT = `
document.addEventListener('DOMContentLoaded', function () {
  var api = window.interimapCharts;
  var runs = JSON.parse(document.getElementById('trace-data').textContent);
  function show(key) {
    api.clear();
    var shown = runs.filter(function (r) { return !key || r.key === key; });
    shown.forEach(function (r) {
      r.states.forEach(function (s) { api.highlight(r.machine, s, { kind: 'visited' }); });
      r.transitions.forEach(function (i) { api.highlightTransition(r.machine, i, { kind: 'visited' }); });
    });
    // Second pass, so where an actor stopped stands out over what others visited.
    shown.forEach(function (r) {
      if (r.failure) {
        api.highlight(r.machine, r.last, { kind: 'failed' });
        api.highlight(r.machine, r.stoppedIn, { kind: 'failed', note: r.failure });
      } else if (r.outcome === 'unfinished') {
        api.highlight(r.machine, r.last, { kind: 'current', note: r.label + ': still in ' + r.last + ' when the trace ended' });
      }
    });
  }
  runs.forEach(function (r) { api.addTimeline(r.key, r.machine, r.entries); });
  document.getElementById('trace-actor').addEventListener('change', function (e) { show(e.target.value); });
  show('');
});
`;

function runData(run: ActorRun): RunData {
  const states = [...new Set(run.entries.map((e) => e.state))];
  const data: RunData = {
    key: run.run > 1 ? `${run.actor} (run ${run.run})` : run.actor,
    label: runLabel(run),
    machine: MACHINE_IDS.get(run.machine) ?? run.machine,
    entries: run.entries.map((e) => ({ ...e, event: eventLabel(run.machine, e.event) })),
    states,
    transitions: run.transitions,
    outcome: run.outcome,
    last: run.entries.at(-1)?.state ?? run.stoppedIn,
    stoppedIn: run.stoppedIn,
  };
  const failure = failureText(run);
  if (failure !== undefined) data.failure = failure;
  return data;
}

export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function sideText(side: SideCounts | undefined): string {
  if (side === undefined) return '';
  return `${side.copied} copied, ${side.flagsUpdated} flag updates, ${side.expunged} expunged`;
}

/** The three states it spent most time in. */
function slowest(run: ActorRun): string {
  return Object.entries(run.stateTimes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([state, ms]) => `${escapeHtml(state)} ${duration(ms)}`)
    .join(', ');
}

function mailboxRow(run: ActorRun): string {
  const { copied, total } = run.note;
  const progress =
    typeof copied === 'number' && run.outcome !== 'done'
      ? ` (${copied}${typeof total === 'number' ? `/${total}` : ''} messages)`
      : '';
  const result = run.outcome === 'done' ? run.entries.at(-1)!.state : run.outcome;
  const cells = [
    escapeHtml(runLabel(run).replace(/^mailbox /, '')),
    escapeHtml(result) + progress,
    duration(run.end - run.start),
    slowest(run),
    sideText(run.counts?.toLocal),
    sideText(run.counts?.toRemote),
  ];
  const failed = run.outcome === 'failed' || run.outcome === 'error' ? ' class="failed"' : '';
  return `<tr${failed} data-actor="${escapeHtml(run.actor)}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

/** The section to pass as htmlPage's overlay. */
export function traceOverlay(trace: RunTrace, source: string): string {
  const runs = trace.runs.map(runData);
  const failures = trace.runs.filter((r) => r.outcome === 'failed' || r.outcome === 'error');
  const mailboxes = trace.runs.filter((r) => r.machine === 'mailbox-sync');
  const summary = [
    `${escapeHtml(source)}: started ${escapeHtml(trace.started)}, lasted ${duration(trace.duration)};`,
    `${trace.runs.length} actor runs, ${failures.length} failed.`,
    trace.truncated ? 'The last line was cut short (the run ended while writing it) and is left out.' : '',
  ].join(' ');
  const failureList =
    failures.length === 0
      ? '<p>No actor failed.</p>'
      : `<ul class="trace-failures">${failures
          .map(
            (r) =>
              `<li class="failed" data-actor="${escapeHtml(r.actor)}">${escapeHtml(failureText(r)!)}</li>`,
          )
          .join('')}</ul>`;
  const options = runs
    .map(
      (r) =>
        `<option value="${escapeHtml(r.key)}">${escapeHtml(r.label)} (${escapeHtml(r.machine)})</option>`,
    )
    .join('');
  const table =
    mailboxes.length === 0
      ? ''
      : `<table class="trace-mailboxes"><thead><tr><th>Mailbox</th><th>Result</th><th>Time</th><th>Slowest states</th><th>To local</th><th>To remote</th></tr></thead><tbody>${mailboxes.map(mailboxRow).join('')}</tbody></table>`;
  return `<style>${STYLE}</style>
<section id="run-trace">
<h2>Run trace</h2>
<p class="trace-summary">${summary.trim()}</p>
${failureList}
<label>Show the path of <select id="trace-actor"><option value="">every actor</option>${options}</select></label>
${table}
<script id="trace-data" type="application/json">${scriptJson(runs)}</script>
<script>${SCRIPT}</script>
</section>
`;
}
