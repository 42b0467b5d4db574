// The text forms of a chart model: JSON (the model itself), Mermaid stateDiagram-v2 and Graphviz
// DOT. Pure string building with a stable order, so regenerated docs compare byte for byte.
import type { ChartModel, ChartState, ChartTransition, TransitionKind } from './extract.js';

export function toJson(model: ChartModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** The label of a transition: `event [guard]`, plus `(reenter)` when it re-enters its own state. */
export function transitionLabel(t: ChartTransition): string {
  let label = t.guard === undefined ? t.event : `${t.event} [${t.guard}]`;
  if (t.reenter) label += ' (reenter)';
  return label;
}

/** The states below a state, in document order. */
function childrenOf(model: ChartModel, parent: string): ChartState[] {
  return model.states.filter((s) => s.parent === parent);
}

function rootOf(model: ChartModel): ChartState {
  return model.states[0]!;
}

function hasChildren(state: ChartState): boolean {
  return state.type === 'compound' || state.type === 'parallel';
}

// ---- Mermaid ----

/** Mermaid ids are global and allow no dots: the path below the machine, dots as underscores. */
function mermaidId(model: ChartModel, id: string): string {
  return id === model.id ? 'any_state' : id.slice(model.id.length + 1).replace(/[^A-Za-z0-9_]/g, '_');
}

/** Mermaid reads `;` as a statement end and `:` on a state line as the start of its text. */
function mermaidText(text: string): string {
  return text.replace(/;/g, ',').replace(/\s+/g, ' ');
}

export function toMermaid(model: ChartModel): string {
  const lines = ['---', `title: ${model.id}`, '---', 'stateDiagram-v2'];
  const emit = (depth: number, line: string) => lines.push(`${'  '.repeat(depth)}${line}`);
  const body = (parent: ChartState, depth: number): void => {
    if (parent.initial !== undefined) emit(depth, `[*] --> ${mermaidId(model, parent.initial)}`);
    for (const state of childrenOf(model, parent.id)) {
      const id = mermaidId(model, state.id);
      if (hasChildren(state)) {
        emit(depth, `state ${id} {`);
        body(state, depth + 1);
        emit(depth, '}');
        if (state.label !== undefined) emit(depth, `note right of ${id} : ${mermaidText(state.label)}`);
      } else {
        emit(depth, `state "${state.key}" as ${id}`);
        if (state.label !== undefined) emit(depth, `${id} : ${mermaidText(state.label)}`);
        for (const invoke of state.invokes) emit(depth, `${id} : invoke: ${invoke.src}`);
        if (state.final) emit(depth, `${id} --> [*]`);
      }
    }
  };
  const root = rootOf(model);
  body(root, 1);
  if (model.transitions.some((t) => t.source === root.id)) emit(1, 'state "any state" as any_state');
  for (const t of model.transitions) {
    const source = mermaidId(model, t.source);
    const label = mermaidText(transitionLabel(t));
    for (const target of t.targets.length > 0 ? t.targets : [t.source]) {
      emit(1, `${source} --> ${mermaidId(model, target)} : ${label}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---- Graphviz DOT ----

/** Edge styles by kind of transition; the HTML legend shows the same table. */
export const EDGE_STYLES: Record<TransitionKind, { style: string; color: string; meaning: string }> = {
  event: { style: 'solid', color: '#222222', meaning: 'event' },
  always: { style: 'dashed', color: '#4a5a8a', meaning: 'always (eventless, guarded in order)' },
  after: { style: 'dotted', color: '#a05a00', meaning: 'after a named delay' },
  done: { style: 'solid', color: '#23803a', meaning: 'done: the invoked actor finished' },
  error: { style: 'solid', color: '#b3261e', meaning: 'error: the invoked actor failed' },
  snapshot: { style: 'solid', color: '#6a3d9a', meaning: 'snapshot of the invoked actor' },
  doneState: { style: 'solid', color: '#23803a', meaning: 'done: a final child state was reached' },
};

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Greedy word wrap, so long labels do not stretch the graph. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** An HTML-like label: the key in bold, the meta label below, then one line per invoked actor. */
function stateLabel(state: ChartState, width: number): string {
  const parts = [`<b>${html(state.key)}</b>`];
  if (state.label !== undefined) {
    parts.push(`<font point-size="9">${wrap(state.label, width).map(html).join('<br/>')}</font>`);
  }
  for (const invoke of state.invokes) {
    parts.push(`<font point-size="9" color="#1f5fa8">invoke: ${html(invoke.src)}</font>`);
  }
  return `<${parts.join('<br/>')}>`;
}

/** Each cluster (and the root graph) holds an entry point the initial arrow starts from. */
function entryOf(state: ChartState): string {
  return `${state.id}.__entry`;
}

/** The DOT node an edge attaches to: the state itself, a compound's entry point, or "any state". */
function endpointOf(state: ChartState): string {
  if (state.parent === null) return dotString(`${state.id}.__any`);
  return dotString(hasChildren(state) ? entryOf(state) : state.id);
}

type StatesById = ReadonlyMap<string, ChartState>;

/** lhead/ltail clip an edge at a compound state's border, unless the other end lies inside it. */
function clip(byId: StatesById, state: ChartState, other: ChartState, end: 'head' | 'tail'): string[] {
  return hasChildren(state) && state.parent !== null && !isWithin(byId, other, state.id)
    ? [`l${end}=${dotString(`cluster_${state.id}`)}`]
    : [];
}

function isWithin(byId: StatesById, state: ChartState, ancestor: string): boolean {
  for (let s: ChartState | undefined = state; s !== undefined; s = byId.get(s.parent ?? '')) {
    if (s.id === ancestor) return true;
  }
  return false;
}

export function toDot(model: ChartModel): string {
  const byId = new Map(model.states.map((s) => [s.id, s]));
  const lines = [
    `digraph ${dotString(model.id)} {`,
    `  graph [id=${dotString(`chart:${model.id}`)}, compound=true, newrank=true, rankdir=TB, nodesep=0.35, ranksep=0.4, fontname="Helvetica", fontsize=12, labelloc=t, label=${dotString(model.id)}];`,
    '  node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", color="#44506a", fontname="Helvetica", fontsize=11, margin="0.12,0.06"];',
    '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
  ];
  const emit = (depth: number, line: string) => lines.push(`${'  '.repeat(depth)}${line}`);
  const body = (parent: ChartState, depth: number): void => {
    const entry = dotString(entryOf(parent));
    // A parallel state has no initial arrow, but its entry point still anchors edges.
    const visible = parent.type === 'compound' ? '' : ', style=invis';
    emit(depth, `${entry} [id=${dotString(`initial:${parent.id}`)}, shape=point, width=0.12${visible}];`);
    if (parent.initial !== undefined) {
      emit(depth, `${entry} -> ${endpointOf(byId.get(parent.initial)!)} [color="#222222"];`);
    }
    for (const state of childrenOf(model, parent.id)) {
      if (hasChildren(state)) {
        emit(depth, `subgraph ${dotString(`cluster_${state.id}`)} {`);
        emit(
          depth + 1,
          `graph [id=${dotString(`state:${state.id}`)}, label=${stateLabel(state, 40)}, style="rounded", color="#44506a", bgcolor="#fbfcfe", ${state.type === 'parallel' ? 'penwidth=2, ' : ''}fontsize=11];`,
        );
        body(state, depth + 1);
        emit(depth, '}');
      } else {
        const shape = state.final ? 'shape=doublecircle, style=filled, fillcolor="#eef3ee", ' : '';
        const width = state.final ? 16 : 26;
        emit(
          depth,
          `${dotString(state.id)} [id=${dotString(`state:${state.id}`)}, ${shape}label=${stateLabel(state, width)}, tooltip=${dotString(state.id)}];`,
        );
      }
    }
  };
  const root = rootOf(model);
  body(root, 1);
  if (model.transitions.some((t) => t.source === root.id)) {
    emit(
      1,
      `${endpointOf(root)} [id=${dotString(`state:${root.id}`)}, label="any state", style="dashed,rounded", fillcolor=none];`,
    );
  }
  model.transitions.forEach((t, index) => {
    const source = byId.get(t.source)!;
    const look = EDGE_STYLES[t.kind];
    const tooltip = [transitionLabel(t), ...(t.actions === undefined ? [] : [`/ ${t.actions.join(', ')}`])];
    const targets = t.targets.length > 0 ? t.targets : [t.source];
    targets.forEach((targetId, n) => {
      const target = byId.get(targetId)!;
      const attributes = [
        `id=${dotString(`transition:${model.id}:${index}:${n}`)}`,
        `label=${dotString(transitionLabel(t))}`,
        `tooltip=${dotString(tooltip.join(' '))}`,
        `style=${look.style}`,
        `color=${dotString(look.color)}`,
        `fontcolor=${dotString(look.color)}`,
        ...clip(byId, source, target, 'tail'),
        ...clip(byId, target, source, 'head'),
      ];
      emit(1, `${endpointOf(source)} -> ${endpointOf(target)} [${attributes.join(', ')}];`);
    });
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
