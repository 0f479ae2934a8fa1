// Puts the built-in models of models/catalog.json under www/models/ and writes www/models/index.json, the
// picker's list (PROTOCOL.md): each model's size and a version (a hash of its bytes) that the page's cache
// keys on, so a changed model is downloaded again. Run by `make www-models`, after it has built the files
// the catalog lists without a `source`.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const catalog = JSON.parse(readFileSync('models/catalog.json', 'utf8'));

function files(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true }).map((f) => join(path, f)).filter((f) => statSync(f).isFile()).sort();
}

const models = catalog.models.map((m) => {
  const target = join('www', m.url);
  if (m.source) {
    if (!existsSync(m.source)) throw new Error(`models/catalog.json: ${m.id}: ${m.source} does not exist`);
    rmSync(target, { recursive: true, force: true });
    cpSync(m.source, target, { recursive: true });
  }
  if (!existsSync(target)) throw new Error(`models/catalog.json: ${m.id}: ${target} does not exist (not built?)`);
  const hash = createHash('sha256');
  let bytes = 0;
  for (const f of files(target)) {
    const data = readFileSync(f);
    hash.update(f.slice(target.length)).update(data);
    bytes += data.length;
  }
  const { source, ...entry } = m;
  return { ...entry, bytes, version: hash.digest('hex').slice(0, 16) };
});
if (!models.some((m) => m.id === catalog.default)) throw new Error(`models/catalog.json: default ${catalog.default} is not listed`);
writeFileSync('www/models/index.json', JSON.stringify({ default: catalog.default, models }, null, 2) + '\n');
console.log(`www/models/index.json: ${models.map((m) => `${m.id} (${(m.bytes / 1e6).toFixed(2)} MB)`).join(', ')}`);
