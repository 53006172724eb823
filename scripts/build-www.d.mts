// Types for scripts/build-www.mjs (imported by the browser tests and the firmware build).
export declare const BUDGET_BYTES: number;
export interface WwwBuild {
  outDir: string;
  /** Paths relative to outDir: index.html, assets/app-<hash>.js|css, each with .gz and .br. */
  files: string[];
  js: string;
  css: string;
  /** First load: index.html + JS + CSS. */
  rawBytes: number;
  gzipBytes: number;
  brotliBytes: number;
}
export declare function buildWww(outDir?: string, opts?: { quiet?: boolean }): Promise<WwwBuild>;
