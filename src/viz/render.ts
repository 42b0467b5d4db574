// Renders DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz, no external binary) and
// tags the SVG groups with the state path and transition index a trace overlay looks up.
import { instance, type Viz } from '@viz-js/viz';

let graphviz: Promise<Viz> | undefined;

/** One Graphviz instance per process: instantiating the WebAssembly module is the slow part. */
function viz(): Promise<Viz> {
  graphviz ??= instance();
  return graphviz;
}

/** The SVG of a DOT graph; a DOT error becomes one line naming the graph. */
export async function renderSvg(dot: string): Promise<string> {
  const result = (await viz()).render(dot, { format: 'svg' });
  if (result.status !== 'success') {
    const name = /^digraph "([^"]*)"/.exec(dot)?.[1] ?? '(unnamed)';
    throw new Error(`graphviz rejected chart ${name}: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  return annotateSvg(result.output);
}

/**
 * Adds `data-machine` and `data-state` (the state path, e.g. `connection.authenticated.ready`) to
 * the group of every state and compound state, and `data-transition` (the index in the model's
 * transitions) to every transition edge. formats.ts names them `state:<path>` and
 * `transition:<machine>:<index>:<target>`.
 */
export function annotateSvg(svg: string): string {
  return svg
    .replace(
      /<g id="state:(([^".]+)[^"]*)" class="(node|cluster)">/g,
      (_, path: string, machine: string, cls: string) =>
        `<g id="state:${path}" class="${cls}" data-machine="${machine}" data-state="${path}">`,
    )
    .replace(
      /<g id="transition:([^":]+):(\d+):(\d+)" class="edge">/g,
      (_, machine: string, index: string, target: string) =>
        `<g id="transition:${machine}:${index}:${target}" class="edge" data-machine="${machine}" data-transition="${index}">`,
    );
}

/** An SVG document without its XML prolog and DOCTYPE, for inlining into HTML. */
export function inlineSvg(svg: string): string {
  return svg.slice(svg.indexOf('<svg'));
}
