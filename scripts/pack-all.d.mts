/** The published packages, by folder under packages/. */
export declare const PACKAGES: readonly string[]
/** Packs the packages into `dir` and returns the tarballs' paths. */
export declare function packAll(dir: string): string[]
