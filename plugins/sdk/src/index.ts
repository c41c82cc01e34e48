export * from './auth.ts';
export * from './catalog.ts';
export * from './define.ts';
export * from './errors.ts';
export * from './http.ts';
export * from './mapping.ts';
export * from './template.ts';
export { z } from 'zod';
export * from './execute.ts';
