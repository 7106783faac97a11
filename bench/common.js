// Helpers shared by the benchmarks.
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/** The repository the benchmarks measure. */
const repo = path.resolve(__dirname, '..');

/** The short commit of the checkout, marked when it has uncommitted changes. */
function gitCommit() {
  try {
    const sha = execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${sha} (+ uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

module.exports = { repo, gitCommit };
