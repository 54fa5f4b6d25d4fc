import type { UpstreamStrategyName } from '../upstream.types';
import type { Balancer, RandomSource } from './balancer';
import { ConsistentHashBalancer } from './consistent-hash.strategy';
import { HealthPreferenceBalancer } from './health-preference.strategy';
import { LeastOutstandingBalancer } from './least-outstanding.strategy';
import { RandomBalancer } from './random.strategy';
import { RoundRobinBalancer } from './round-robin.strategy';
import { SmoothWeightedBalancer } from './smooth-weighted.strategy';

export function createBalancer(name: UpstreamStrategyName, virtualNodes: number, random?: RandomSource): Balancer {
  switch (name) {
    case 'round-robin':
      return new RoundRobinBalancer();
    case 'weighted-round-robin':
      return new SmoothWeightedBalancer();
    case 'least-outstanding':
      return new LeastOutstandingBalancer(random);
    case 'random':
      return new RandomBalancer(random);
    case 'consistent-hash':
      return new ConsistentHashBalancer(virtualNodes, random);
    case 'health-preference':
      return new HealthPreferenceBalancer();
  }
}
