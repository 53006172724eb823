// Build-time constants and asset imports of the www bundle (see scripts/build-www.mjs).
declare const __VERSION__: string;
declare module '*.css';
