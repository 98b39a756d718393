/** "1 order", "2 orders": a count and its noun, for log lines. Nouns whose plural is not noun+s give it. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
