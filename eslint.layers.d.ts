import type { Linter } from 'eslint';

export type Layer =
  'common' | 'exec' | 'adapters' | 'schema' | 'engine' | 'report' | 'import' | 'cli';
export declare const LAYERS: Record<Layer, Layer[]>;
export declare const layerConfigs: Linter.Config[];
export declare const lazyLoadingConfig: Linter.Config;
