/**
 * The part of @saehrimnir/druidjs 0.9 used here. Its package.json points `require` types at
 * `dist/druid.d.cts`, which the release does not ship, so TypeScript (CommonJS build) finds none.
 */
declare module '@saehrimnir/druidjs' {
  export class Matrix {
    /** rows × cols of zeros, row-major in `values`. */
    constructor(rows: number, cols: number);
    get values(): Float64Array;
    static from(a: Matrix | Float64Array[] | number[][]): Matrix;
    get shape(): number[];
    to2dArray(): Float64Array[];
  }
  export class Randomizer {
    constructor(seed?: number);
    get random(): number;
  }
  export class PCA {
    constructor(x: Matrix, parameters?: { d?: number; seed?: number });
    transform(): Matrix;
  }
  export class TSNE {
    constructor(x: Matrix, parameters?: { d?: number; perplexity?: number; epsilon?: number; seed?: number });
    transform(iterations?: number): Matrix;
    generator(iterations?: number): Generator<Matrix, Matrix, void>;
  }
  export class KMeans {
    constructor(points: Matrix, parameters?: { K: number; seed?: number });
    get_cluster_list(): number[];
  }
}
