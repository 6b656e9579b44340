export * from './sdk';
export * from './vector-db-layer';
