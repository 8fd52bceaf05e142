#!/usr/bin/env node
// `fleet --version` alone is answered without loading oclif (its modules are ~90 ms of every start): the same
// line oclif prints (config.userAgent), checked against oclif in test/unit/cli-start.test.ts. Everything else,
// `--version` among other arguments included, goes through oclif.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const {readFileSync} = await import('node:fs')
  const {release} = await import('node:os')
  // oclif names WSL `wsl`, as its getPlatform does (a Microsoft kernel).
  const platform = process.platform === 'linux' && release().toLowerCase().includes('microsoft') ? 'wsl' : process.platform
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.name}/${pkg.version} ${platform}-${process.arch} node-${process.version}\n`)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
