/**
 * Identity helpers that give authored files their types: `export default defineService({...})` is checked by
 * the TypeScript compiler as you type, and again by the schemas when the generator loads it.
 */
import type { EnvironmentInput, EstateInput, ServiceInput } from "./schema.ts";

export const defineEstate = (estate: EstateInput): EstateInput => estate;
export const defineEnvironment = (environment: EnvironmentInput): EnvironmentInput => environment;
export const defineService = (service: ServiceInput): ServiceInput => service;
