export * from './define.ts';
export * from './errors.ts';
export { z } from 'zod';
