// bottleneck's light build: the same Bottleneck class without its Redis datastores (which load
// Node's `net`, `events`, ...), so the root entry bundles for a browser. It ships no types.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
