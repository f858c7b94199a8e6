// .proto files are bundled as text: vitest understands `?raw`, and the build
// script gives esbuild the same meaning, because the single executable has
// no file system next to it to load them from.
declare module '*.proto?raw' {
  const text: string;
  export default text;
}
