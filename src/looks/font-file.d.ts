// What `import(…ttf, { with: { type: "file" } })` gives under Bun: the file's path (font.ts).
declare module "*.ttf" {
  const path: string;
  export default path;
}
