// TypeScript tasks, declared once for the type checker.
export function add(a: number, b: number): number {
  return a + b
}

export async function greet(name: string): Promise<{ greeting: string }> {
  return { greeting: `hello ${name}` }
}

declare module '@pq/core' {
  interface PqTasks {
    'typed.tasks.add': typeof add
    'typed.tasks.greet': typeof greet
  }
}
