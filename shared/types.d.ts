// Text and file imports that the bundler embeds (migrations, pages, WASM).
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.html" {
  const text: string;
  export default text;
}
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "@echogarden/fvad-wasm/fvad.js" {
  const createModule: (options?: Record<string, unknown>) => Promise<unknown>;
  export default createModule;
}
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*.svg" {
  const text: string;
  export default text;
}
