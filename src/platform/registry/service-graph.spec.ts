import type { DependencySpec } from './managed-service.types';
import {
  DependencyCycleError,
  DuplicateServiceError,
  InvalidServiceNameError,
  UnknownDependencyError,
} from './registry.errors';
import { toServiceDefinition } from './service-definition';
import { ServiceGraph } from './service-graph';

const def = (name: string, dependsOn: DependencySpec[] = [], className = `${name}Class`) =>
  toServiceDefinition({ name, dependsOn }, className);

describe(ServiceGraph.name, () => {
  it('should order every service after its dependencies', () => {
    const graph = ServiceGraph.build([def('api', ['db', 'cache']), def('cache', ['db']), def('db')]);
    expect(graph.order).toEqual(['db', 'cache', 'api']);
    expect(graph.node('db')!.dependents).toEqual(['api', 'cache']);
  });

  it('should refuse an unknown required dependency, naming the service and the missing name', () => {
    expect(() => ServiceGraph.build([def('rag', ['state', 'llm']), def('state')])).toThrow(
      new UnknownDependencyError("Service 'rag' requires 'llm', which no provider declares"),
    );
  });

  it('should allow a missing optional dependency and record it', () => {
    const graph = ServiceGraph.build([def('rag', ['state', { name: 'llm', optional: true }]), def('state')]);
    expect(graph.order).toEqual(['state', 'rag']);
    expect(graph.node('rag')!.missingOptional).toEqual(['llm']);
    expect(graph.node('rag')!.deps).toEqual([{ name: 'state', optional: false }]);
  });

  it('should refuse a cycle and print it', () => {
    const build = () => ServiceGraph.build([def('a', ['b']), def('b', ['c']), def('c', ['a']), def('d', ['a'])]);
    expect(build).toThrow(DependencyCycleError);
    expect(build).toThrow('Dependency cycle: a → b → c → a');
  });

  it('should refuse a cycle through an optional dependency', () => {
    expect(() => ServiceGraph.build([def('a', [{ name: 'b', optional: true }]), def('b', ['a'])])).toThrow(
      'Dependency cycle: a → b → a',
    );
  });

  it('should refuse a service that depends on itself', () => {
    expect(() => ServiceGraph.build([def('a', ['a'])])).toThrow('Dependency cycle: a → a');
  });

  it('should refuse two services with one name, naming both classes', () => {
    expect(() => ServiceGraph.build([def('state', [], 'MemoryState'), def('state', [], 'RedisState')])).toThrow(
      new DuplicateServiceError("Two services are named 'state': MemoryState and RedisState"),
    );
  });

  it.each(['Rag', 'rag_store', 'rag-', '-rag', 'rag--x', '1rag', ''])(
    'should refuse the non-kebab-case name %p',
    (name) => {
      expect(() => ServiceGraph.build([def(name)])).toThrow(InvalidServiceNameError);
    },
  );

  it('should fold a dependency declared twice, required winning over optional', () => {
    const d = toServiceDefinition({ name: 'x', dependsOn: [{ name: 'y', optional: true }, 'y'] }, 'X');
    expect(d.dependsOn).toEqual([{ name: 'y', optional: false }]);
    expect(d).toMatchObject({ critical: true, startTimeoutMs: 15_000, stopTimeoutMs: 10_000 });
  });

  it('should compute transitive dependents and required dependencies', () => {
    const graph = ServiceGraph.build([
      def('db'),
      def('cache', ['db']),
      def('api', ['cache', { name: 'search', optional: true }]),
      def('search', ['db']),
      def('ui', ['api']),
    ]);
    expect([...graph.dependentsOf('cache')].sort()).toEqual(['api', 'ui']);
    expect([...graph.dependentsOf('search')].sort()).toEqual(['api', 'ui']);
    expect([...graph.requiredDependenciesOf('ui')].sort()).toEqual(['api', 'cache', 'db']);
  });

  it('should handle a 10,000-service chain without deep recursion', () => {
    const defs = Array.from({ length: 10_000 }, (_, i) => def(`s${i}`, i === 0 ? [] : [`s${i - 1}`]));
    const graph = ServiceGraph.build(defs.reverse());
    expect(graph.order[0]).toBe('s0');
    expect(graph.order[9_999]).toBe('s9999');
    expect(graph.dependentsOf('s0').size).toBe(9_999);
  });
});
