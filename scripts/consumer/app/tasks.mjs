// A JavaScript task: runs under plain node, no loader.
export function add(a, b) {
  return a + b
}
