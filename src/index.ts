export * from './sdk';
export * from './vector-db-layer';
export * from './vector-db-function';
export * from './database';
export * from './vector-db-maintenance';
