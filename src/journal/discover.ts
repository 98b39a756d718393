/** Finding journals on disk: what `kfc journal` lists and what the ledger follows at start. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeLocation, type Category, type Location, type Mode } from './location.js';
import { listDests } from './page.js';

/** Every journal (location, dest) under KF_HOME. */
export function discoverJournals(home: string): { location: Location; dest: number }[] {
  const found: { location: Location; dest: number }[] = [];
  const root = join(home, 'journal');
  const sub = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return [];
    }
  };
  for (const category of sub(root)) {
    for (const group of sub(join(root, category))) {
      for (const name of sub(join(root, category, group))) {
        for (const mode of sub(join(root, category, group, name))) {
          let location: Location;
          try {
            location = makeLocation(category as Category, group, name, mode as Mode);
          } catch {
            continue; // not ours
          }
          for (const dest of listDests(join(root, category, group, name, mode))) found.push({ location, dest });
        }
      }
    }
  }
  return found;
}
