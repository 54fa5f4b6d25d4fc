import type { ProjectionDto } from '../dto/projection.dto';
import type { ProjectionResult } from '../projection.types';
import { scatterSvg } from './scatter-svg';

const METHOD_NAMES = { pca: 'PCA', umap: 'UMAP', tsne: 't-SNE' } as const;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** The plot of a finished projection: title with method and sample size, quality figures below it. */
export function projectionPlotSvg(projection: ProjectionDto, result: ProjectionResult): string {
  const q = result.quality;
  const parts = [
    `kNN preservation ${q.knnPreservation.score.toFixed(2)} (k = ${q.knnPreservation.k}, random ≈ ${q.knnPreservation.randomBaseline.toFixed(2)})`,
    ...(q.explainedVariance ? [`explained variance ${pct(q.explainedVariance.total)}`] : []),
    `seed ${projection.sample.seed}`,
    ...(projection.dimensions === 3 ? ['x and y of a 3-d projection'] : []),
    ...(projection.stale ? ['stale: the corpus changed since'] : []),
  ];
  return scatterSvg({
    title: `${METHOD_NAMES[projection.method]} of ${result.points.length} of ${result.candidates} chunks`,
    subtitle: parts.join(' · '),
    points: result.points,
    clusters: result.clusters,
  });
}
