import type { ServiceGraphDto } from './dto/service-graph.dto';
import type { ServiceState } from './managed-service.types';
import type { ServiceSnapshot } from './service-snapshot';

const FILL: Partial<Record<ServiceState, string>> = {
  RUNNING: '#d4f7d4',
  DEGRADED: '#fff3c4',
  FAILED: '#f9c0c0',
  BLOCKED: '#e0e0e0',
};

/** Nodes and edges (`from` depends on `to`) of the registered services; missing optionals are left out. */
export function toGraphView(services: readonly ServiceSnapshot[]): ServiceGraphDto {
  return {
    nodes: services.map((s) => ({ name: s.name, state: s.state, critical: s.critical })),
    edges: services.flatMap((s) =>
      s.dependsOn.filter((d) => d.registered).map((d) => ({ from: s.name, to: d.name, optional: d.optional })),
    ),
  };
}

/** The same graph as a Mermaid flowchart; optional dependencies are dotted arrows. */
export function toMermaid(graph: ServiceGraphDto): string {
  // Node ids are positional: kebab-case names are not all valid Mermaid ids.
  const ids = new Map(graph.nodes.map((n, i) => [n.name, `s${i}`]));
  const lines = ['flowchart TD'];
  for (const n of graph.nodes) lines.push(`  ${ids.get(n.name)}["${n.name}<br/>${n.state}"]`);
  for (const e of graph.edges) lines.push(`  ${ids.get(e.from)} ${e.optional ? '-.->' : '-->'} ${ids.get(e.to)}`);
  for (const [state, fill] of Object.entries(FILL)) {
    const members = graph.nodes.filter((n) => n.state === state).map((n) => ids.get(n.name));
    if (members.length > 0)
      lines.push(
        `  classDef ${state.toLowerCase()} fill:${fill}`,
        `  class ${members.join(',')} ${state.toLowerCase()}`,
      );
  }
  return lines.join('\n') + '\n';
}
