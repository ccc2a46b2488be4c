/** Files imported `with { type: "file" }` (bundled-file.ts): Bun gives their path as the default export. */
declare module "*.cube" {
  const path: string;
  export default path;
}
declare module "*.ttf" {
  const path: string;
  export default path;
}
