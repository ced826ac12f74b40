// Replaced at bundle time by scripts/build-pages.mjs (package.json "version").
declare const __TICKVERSE_VERSION__: string;
