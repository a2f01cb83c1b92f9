export * from './relational.ts';
